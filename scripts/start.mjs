#!/usr/bin/env node
// `npm start`: build this package, install the pinned n8n on first use, install our package into n8n's community
// nodes folder, start n8n (SQLite), create a local owner if there is none, import examples/*.json, and print the
// editor URL, the login and each trigger's webhook URLs. Ctrl-C stops n8n.
//
// Environment (all optional):
//   N8N_PORT                  editor/REST/webhook port              (default 5690; n8n's own default 5678 stays free)
//   N8N_RUNNERS_BROKER_PORT   n8n's task-runner broker port         (default N8N_PORT + 1; n8n's default 5679 stays free)
//   N8N_USER_FOLDER           n8n's data folder (.n8n/ inside it)   (default <repo>/.n8n-local, git-ignored)
//   N8N_VERSION               n8n version, a folder under n8n/      (default: the newest, 2.41.1, on Node 24 installed
//                             (or KLICKTIPP_N8N_VERSION)            from npm into the cache; 2.4.8 runs on the Node 20 you have)
//   KLICKTIPP_N8N_CACHE       where n8n runtimes are installed      (default ~/.cache/n8n-nodes-klicktipp-outbound)
//   KLICKTIPP_OWNER_EMAIL, KLICKTIPP_OWNER_PASSWORD   the local owner created on first start
//   KLICKTIPP_SKIP_BUILD=1    do not run `npm run build` first
//   WEBHOOK_URL               public base URL for webhooks          (default http://localhost:<port>/)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULT_N8N_VERSION, ensureN8n } from './ensure-n8n.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_NAME = 'n8n-nodes-klicktipp-outbound';
const TRIGGER_TYPES = new Set([`${PACKAGE_NAME}.klickTippOutboundTrigger`]);
const WEBHOOK_NODE_TYPES = new Set(['n8n-nodes-base.webhook', 'n8n-nodes-base.formTrigger']);

const version = process.env.KLICKTIPP_N8N_VERSION || process.env.N8N_VERSION || DEFAULT_N8N_VERSION;
const port = Number(process.env.N8N_PORT || 5690);
const brokerPort = Number(process.env.N8N_RUNNERS_BROKER_PORT || port + 1);
const userFolder = path.resolve(process.env.N8N_USER_FOLDER || path.join(ROOT, '.n8n-local'));
const baseUrl = `http://localhost:${port}`;
const webhookBase = (process.env.WEBHOOK_URL || `${baseUrl}/`).replace(/\/?$/, '/');
const owner = {
	email: process.env.KLICKTIPP_OWNER_EMAIL || 'owner@klicktipp-outbound.local',
	firstName: 'Local',
	lastName: 'Owner',
	password: process.env.KLICKTIPP_OWNER_PASSWORD || 'KlickTipp-n8n-1',
};
const loginFile = path.join(userFolder, 'klicktipp-owner-login.json');

const say = (msg) => process.stderr.write(`[start] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(msg) {
	say(msg);
	process.exit(1);
}

async function portFree(p) {
	return await new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(p, '0.0.0.0', () => srv.close(() => resolve(true)));
	});
}

/** Copies package.json (without dev/peer dependencies, as n8n does for community packages) and dist/. */
function installPackage() {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(target, { recursive: true });
	const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	for (const k of ['devDependencies', 'peerDependencies', 'optionalDependencies', 'scripts', 'allowScripts']) delete pkg[k];
	fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(pkg, null, 2));
	fs.cpSync(path.join(ROOT, 'dist'), path.join(target, 'dist'), { recursive: true });
	const nodesPkgPath = path.join(nodesDir, 'package.json');
	const nodesPkg = fs.existsSync(nodesPkgPath)
		? JSON.parse(fs.readFileSync(nodesPkgPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	nodesPkg.dependencies = { ...(nodesPkg.dependencies ?? {}), [PACKAGE_NAME]: pkg.version };
	fs.writeFileSync(nodesPkgPath, JSON.stringify(nodesPkg, null, 2));
	return target;
}

class Rest {
	cookie = '';
	async call(method, urlPath, body) {
		const res = await fetch(baseUrl + urlPath, {
			method,
			headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(this.cookie ? { cookie: this.cookie } : {}) },
			body: body ? JSON.stringify(body) : undefined,
		});
		const auth = (res.headers.getSetCookie?.() ?? []).find((c) => c.startsWith('n8n-auth='));
		if (auth) this.cookie = auth.split(';')[0];
		const text = await res.text();
		if (!res.ok) throw Object.assign(new Error(`${method} ${urlPath} → ${res.status}: ${text.slice(0, 300)}`), { status: res.status });
		return text ? JSON.parse(text) : undefined;
	}
}

async function waitReady(child) {
	const deadline = Date.now() + 180_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) fail(`n8n exited with code ${child.exitCode} before it was ready`);
		try {
			const r = await fetch(`${baseUrl}/healthz/readiness`);
			if (r.ok) {
				const s = await fetch(`${baseUrl}/rest/settings`);
				if (s.ok) return (await s.json()).data;
			}
		} catch {
			/* not yet */
		}
		await sleep(500);
	}
	fail('n8n did not become ready within 3 minutes');
}

async function setupOwner(rest, settings) {
	const needsSetup = settings?.userManagement?.showSetupOnFirstLoad === true;
	if (needsSetup) {
		await rest.call('POST', '/rest/owner/setup', owner);
		fs.writeFileSync(loginFile, JSON.stringify({ email: owner.email, password: owner.password }, null, 2), { mode: 0o600 });
		return { created: true, login: owner };
	}
	const saved = fs.existsSync(loginFile) ? JSON.parse(fs.readFileSync(loginFile, 'utf8')) : undefined;
	const login = saved ?? { email: owner.email, password: owner.password };
	try {
		await rest.call('POST', '/rest/login', { email: login.email, emailOrLdapLoginId: login.email, password: login.password });
		return { created: false, login };
	} catch {
		return { created: false, login: undefined };
	}
}

function webhookPathOf(node) {
	const p = typeof node.parameters?.path === 'string' ? node.parameters.path.trim() : '';
	return p || node.webhookId || '';
}

async function importExamples(rest) {
	const dir = path.join(ROOT, 'examples');
	const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
	const existing = new Map();
	try {
		const list = await rest.call('GET', '/rest/workflows');
		for (const w of list.data ?? []) existing.set(w.name, w.id);
	} catch (e) {
		say(`could not list workflows: ${e.message}`);
	}
	const imported = [];
	for (const file of files) {
		let wf;
		try {
			wf = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
		} catch (e) {
			say(`skipping examples/${file}: not valid JSON (${e.message})`);
			continue;
		}
		const name = wf.name || path.basename(file, '.json');
		let id = existing.get(name);
		let note = 'already imported';
		if (!id) {
			try {
				const res = await rest.call('POST', '/rest/workflows', {
					name,
					nodes: wf.nodes ?? [],
					connections: wf.connections ?? {},
					settings: wf.settings ?? { executionOrder: 'v1' },
					...(wf.pinData ? { pinData: wf.pinData } : {}),
				});
				id = res.data?.id ?? res.id;
				note = 'imported';
			} catch (e) {
				say(`could not import examples/${file}: ${e.message}`);
				continue;
			}
		}
		imported.push({ file, name, id, note, nodes: wf.nodes ?? [] });
	}
	return imported;
}

async function main() {
	if (!process.env.KLICKTIPP_SKIP_BUILD) {
		say('building the package (npm run build)');
		const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
		if (b.status !== 0) fail('npm run build failed');
	}
	if (!fs.existsSync(path.join(ROOT, 'dist'))) fail('dist/ is missing after the build');
	const runtime = await ensureN8n(version);
	for (const p of [port, brokerPort]) {
		if (!(await portFree(p))) fail(`port ${p} is in use; choose others with N8N_PORT=... N8N_RUNNERS_BROKER_PORT=...`);
	}
	fs.mkdirSync(userFolder, { recursive: true });
	const target = installPackage();
	say(`installed ${PACKAGE_NAME} into ${target}`);

	const env = {
		...process.env,
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_HOST: process.env.N8N_HOST || 'localhost',
		WEBHOOK_URL: webhookBase,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: process.env.N8N_SECURE_COOKIE || 'false',
		DB_TYPE: process.env.DB_TYPE || 'sqlite',
		// n8n 1.123.x: the default (isolated-vm) expression engine needs Node >= 22
		...(version.startsWith('1.') && !process.env.N8N_EXPRESSION_ENGINE ? { N8N_EXPRESSION_ENGINE: 'legacy' } : {}),
	};
	delete env.NODE_OPTIONS;
	delete env.N8N_VERSION;
	say(`starting n8n ${version} (Node ${runtime.nodeVersion}) on ${baseUrl} (data: ${path.join(userFolder, '.n8n')}, SQLite)`);
	const child = spawn(runtime.node, [runtime.bin, 'start'], { cwd: userFolder, env, stdio: 'inherit' });
	for (const sig of ['SIGINT', 'SIGTERM']) {
		process.on(sig, () => {
			if (child.exitCode === null) child.kill(sig);
		});
	}
	child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));

	const settings = await waitReady(child);
	const rest = new Rest();
	const { created, login } = await setupOwner(rest, settings);
	const imported = login ? await importExamples(rest) : [];

	const lines = [];
	lines.push('', '='.repeat(78), `n8n ${version} with ${PACKAGE_NAME} is running`, '');
	lines.push(`  Editor:    ${baseUrl}/`);
	if (login) {
		lines.push(`  Login:     ${login.email} / ${login.password}${created ? '   (owner created now)' : ''}`);
	} else {
		lines.push('  Login:     the owner you set up earlier in this data folder (not created by npm start)');
	}
	lines.push(`  Data:      ${path.join(userFolder, '.n8n')}`);
	if (imported.length) {
		lines.push('', '  Example workflows:');
		for (const w of imported) {
			lines.push(`  - ${w.name} (${w.note}): ${baseUrl}/workflow/${w.id}`);
			for (const node of w.nodes) {
				if (!TRIGGER_TYPES.has(node.type) && !WEBHOOK_NODE_TYPES.has(node.type)) continue;
				const p = webhookPathOf(node);
				if (!p) continue;
				lines.push(`      "${node.name}": production ${webhookBase}webhook/${p}  (after you publish/activate the workflow)`);
				lines.push(`      ${' '.repeat(node.name.length + 2)}  test       ${webhookBase}webhook-test/${p}  (while "Listen for test event" runs)`);
			}
		}
	} else if (login) {
		lines.push('', '  No example workflows found in examples/.');
	}
	lines.push('', '  Stop with Ctrl-C.', '='.repeat(78), '');
	process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => fail(e.stack || e.message));
