// The n8n editor as a person sees it, driven by headless Chromium (Debian's `chromium`, puppeteer-core):
// `startDemo()` runs scripts/start.mjs (exactly what `npm start` does) in a data folder and on ports of its own and
// reads its banner; `openEditor()` launches the browser and signs in with the printed login. Used by
// scripts/screenshots.mjs (the PNGs in docs/images/) and test/e2e/editor.test.ts (what the editor shows).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import puppeteer from 'puppeteer-core';

import { freePort, portFree } from './ports.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function chromiumInstalled() {
	return fs.existsSync(CHROMIUM);
}

/** What the start banner says: login, workflow ids by name, the curl line. */
export function parseBanner(output) {
	const login = /Login: +(\S+) \/ (\S+)/.exec(output);
	const workflows = new Map();
	for (const m of output.matchAll(/^ {2}- (.+?) \([^()]*\): \S+\/workflow\/(\S+)$/gm)) workflows.set(m[1], m[2]);
	const curl = output.split('\n').map((l) => l.trim()).find((l) => l.startsWith('curl '));
	return { login: login ? { email: login[1], password: login[2] } : undefined, workflows, curl };
}

/**
 * Runs scripts/start.mjs with its own data folder and free ports until the banner is printed.
 * `stop()` sends SIGINT (start.mjs forwards it to n8n) and removes the data folder unless `keep`.
 */
export async function startDemo({ env = {}, port: wanted, keep = false, timeoutMs = 600_000, log = () => {} } = {}) {
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'klicktipp-editor-'));
	const port = wanted && (await portFree(wanted)) && (await portFree(wanted + 1)) ? wanted : await freePort();
	const childEnv = { ...process.env };
	for (const k of Object.keys(childEnv)) {
		// an outer n8n's settings stay out (N8N_VERSION is start.mjs's own version choice and stays)
		const n8nSetting = (k.startsWith('N8N_') && k !== 'N8N_VERSION') || k.startsWith('DB_') || k === 'WEBHOOK_URL';
		if (k === 'NODE_OPTIONS' || k.startsWith('NODE_TEST') || n8nSetting) {
			delete childEnv[k];
		}
	}
	Object.assign(childEnv, {
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(port === wanted ? port + 1 : await freePort()),
		N8N_TEMPLATES_ENABLED: 'false',
		...env,
	});
	const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], {
		cwd: ROOT,
		env: childEnv,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	let output = '';
	const onData = (d) => {
		output += d.toString();
		log(d.toString());
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);
	const stop = async () => {
		if (child.exitCode === null && child.pid !== undefined) {
			const done = new Promise((r) => child.once('exit', r));
			child.kill('SIGINT');
			const t = setTimeout(() => {
				try {
					process.kill(-child.pid, 'SIGKILL');
				} catch {
					/* gone */
				}
			}, 20_000);
			await done;
			clearTimeout(t);
		}
		if (!keep) fs.rmSync(userFolder, { recursive: true, force: true });
	};
	const deadline = Date.now() + timeoutMs;
	while (!/Stop with Ctrl-C/.test(output)) {
		if (child.exitCode !== null || Date.now() > deadline) {
			await stop();
			throw new Error(`npm start did not finish setting up:\n${output.slice(-3000)}`);
		}
		await sleep(250);
	}
	return { baseUrl: `http://localhost:${port}`, port, userFolder, output, ...parseBanner(output), stop };
}

/** Headless Chromium with a fresh profile; `close()` removes the profile. */
export async function launchBrowser({ width = 1440, height = 900 } = {}) {
	const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'klicktipp-chromium-'));
	const browser = await puppeteer.launch({
		executablePath: CHROMIUM,
		headless: true,
		defaultViewport: { width, height, deviceScaleFactor: 1 },
		args: [
			'--headless',
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
			`--user-data-dir=${profile}`,
			`--window-size=${width},${height}`,
		],
	});
	const page = await browser.newPage();
	page.setDefaultTimeout(120_000); // a loaded 2-core machine needs it: the editor loads ~15 MB of node types
	return {
		browser,
		page,
		async close() {
			await browser.close().catch(() => {});
			fs.rmSync(profile, { recursive: true, force: true });
		},
	};
}

/** Signs in on n8n's sign-in page. */
export async function signIn(page, baseUrl, login) {
	await page.goto(`${baseUrl}/signin`, { waitUntil: 'domcontentloaded' });
	const email = await page.waitForSelector('input[name="emailOrLdapLoginId"], input[name="email"], input[type="email"]');
	await email.type(login.email);
	await (await page.$('input[type="password"]')).type(login.password);
	await page.keyboard.press('Enter');
	await page.waitForFunction(() => !location.pathname.startsWith('/signin'));
}

/**
 * Opens a workflow and waits until its nodes are on the canvas; closes n8n's own pop-overs that would cover it
 * (2.x shows a "Production Checklist" on published workflows) and fits the view to the nodes.
 */
export async function openWorkflow(page, baseUrl, id) {
	await page.goto(`${baseUrl}/workflow/${id}`, { waitUntil: 'domcontentloaded' });
	await page.waitForSelector('[data-test-id="canvas-node"]');
	await sleep(2500);
	await page.evaluate(() => {
		for (const el of document.querySelectorAll('body *')) {
			if (el.children.length === 0 && el.textContent?.trim() === 'Production Checklist') {
				let box = el.parentElement;
				while (box && !box.querySelector('button, [role="button"], [aria-label*="lose" i]')) box = box.parentElement;
				box?.querySelector('[aria-label*="lose" i], button, [role="button"]')?.click();
			}
		}
	});
	const fit = await page.$('[data-test-id="zoom-to-fit"]');
	if (fit) {
		await fit.click();
		await sleep(800);
	}
}

/** Opens a node's panel (NDV) by double-clicking it on the canvas. */
export async function openNode(page, name) {
	const node = await page.waitForSelector(`[data-test-id="canvas-node"][data-node-name="${name}"]`);
	await node.click({ count: 2 });
	await page.waitForSelector('[data-test-id="ndv"] [data-test-id="node-parameters"]');
	await sleep(1500);
}

export async function closeNode(page) {
	await page.keyboard.press('Escape');
	await page.waitForSelector('[data-test-id="ndv"]', { hidden: true }).catch(() => {});
	await sleep(500);
}

/** Expands the trigger panel's "Webhook URLs" section and picks "Production URL" (or "Test URL"); returns its text. */
export async function showWebhookUrls(page, which = 'Production URL') {
	const headline = await page.waitForSelector('[data-test-id="ndv"] .webhooks .headline');
	const expanded = async () => await page.$eval('[data-test-id="ndv"] .webhooks', (e) => /https?:\/\//.test(e.innerText));
	if (!(await expanded())) await headline.click();
	await page.waitForFunction(() => /https?:\/\//.test(document.querySelector('[data-test-id="ndv"] .webhooks')?.innerText ?? ''));
	const id = which === 'Production URL' ? 'radio-button-production' : 'radio-button-test';
	const option = await page.$(`[data-test-id="ndv"] .webhooks [data-test-id="${id}"]`);
	if (option) {
		await option.click();
		const segment = which === 'Production URL' ? '/webhook/' : '/webhook-test/';
		await page.waitForFunction((s) => document.querySelector('[data-test-id="ndv"] .webhooks')?.innerText.includes(s), {}, segment);
	}
	return await page.$eval('[data-test-id="ndv"] .webhooks', (e) => e.innerText);
}

/** Every notice in the open panel's parameters, as rendered text (innerText: one line per rendered line break). */
export async function noticeTexts(page) {
	return await page.$$eval('[data-test-id="ndv"] [data-test-id="node-parameters"] .notice', (els) => els.map((e) => e.innerText));
}

/** The credential selected in the open panel ("Credential for …"), as shown. */
export async function selectedCredential(page) {
	const select = await page.waitForSelector('[data-test-id="ndv"] [data-test-id="node-credentials-select"]');
	return await select.evaluate((el) => {
		const input = el.querySelector('input');
		return (input?.value || el.innerText || '').trim();
	});
}

/**
 * Opens the node's credential (the pencil next to "Credential for …"): n8n tests a saved credential when its dialog
 * opens. Returns the dialog's verdict ("success" or the failure text) and leaves the dialog open.
 */
export async function openCredential(page) {
	await (await page.waitForSelector('[data-test-id="ndv"] [data-test-id="credential-edit-button"]')).click();
	await page.waitForSelector('[data-test-id="credential-edit-dialog"]');
	const verdict = await page.waitForFunction(
		() => {
			const dialog = document.querySelector('[data-test-id="credential-edit-dialog"]');
			if (dialog?.querySelector('[data-test-id="credentials-config-container-test-success"]')) return 'success';
			const failed = dialog?.querySelector('[data-test-id="credentials-config-container-test-error"]');
			return failed ? failed.innerText || 'error' : false;
		},
		{ timeout: 60_000 },
	);
	return await verdict.jsonValue();
}

export async function closeDialog(page) {
	await page.keyboard.press('Escape');
	await page.waitForSelector('[data-test-id="credential-edit-dialog"]', { hidden: true }).catch(() => {});
	await sleep(500);
}
