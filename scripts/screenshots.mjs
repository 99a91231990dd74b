#!/usr/bin/env node
// `npm run screenshots`: starts n8n exactly as `npm start` does (scripts/start.mjs, in a temporary data folder and on
// free ports, so your own .n8n-local is untouched), opens the real editor in headless Chromium (Debian's `chromium`;
// CHROMIUM_PATH to use another) and writes what a person sees to docs/images/:
//   example-crm.png               the "KlickTipp → CRM (contact data)" example on the canvas
//   example-deletion-requests.png the deletion-request example on the canvas
//   example-dead-letter.png       the dead-letter example (Data Table, Schedule Trigger, Redeliver) on the canvas
//   trigger-setup.png             the trigger's panel: production Webhook URLs (POST and GET), credential, setup steps
//   outbound-panel.png            the "Send to CRM" (KlickTipp Outbound) panel
// Environment: KLICKTIPP_N8N_VERSION / N8N_VERSION and KLICKTIPP_SKIP_BUILD as for `npm start`.
import fs from 'node:fs';
import path from 'node:path';

import { chromiumInstalled, CHROMIUM, launchBrowser, openNode, openWorkflow, ROOT, showWebhookUrls, signIn, startDemo } from './editor.mjs';

const OUT = path.join(ROOT, 'docs', 'images');
const CRM = 'KlickTipp → CRM (contact data)';
const DELETION = 'KlickTipp deletion request → every system → audit log';
const DEAD_LETTER = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'klicktipp-dead-letter.json'), 'utf8')).name;
const say = (msg) => process.stderr.write(`[screenshots] ${msg}\n`);

if (!chromiumInstalled()) {
	say(`no Chromium at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
	process.exit(1);
}

// n8n's default port for npm start (5690) when it is free, so the URLs in the pictures match the README
const demo = await startDemo({ port: Number(process.env.N8N_PORT || 5690), log: process.env.KLICKTIPP_SCREENSHOTS_VERBOSE ? (t) => process.stderr.write(t) : undefined });
const browser = await launchBrowser({ width: 1280, height: 820 });
const { page } = browser;
try {
	await signIn(page, demo.baseUrl, demo.login);
	fs.mkdirSync(OUT, { recursive: true });
	const shot = async (file, target = page) => {
		await target.screenshot({ path: path.join(OUT, file) });
		say(`docs/images/${file}`);
	};

	for (const [name, file] of [
		[CRM, 'example-crm.png'],
		[DELETION, 'example-deletion-requests.png'],
		[DEAD_LETTER, 'example-dead-letter.png'],
	]) {
		await openWorkflow(page, demo.baseUrl, demo.workflows.get(name));
		await shot(file);
	}

	await page.setViewport({ width: 1280, height: 1000 });
	await openWorkflow(page, demo.baseUrl, demo.workflows.get(CRM));
	await openNode(page, 'KlickTipp Outbound Trigger');
	await showWebhookUrls(page, 'Production URL');
	await shot('trigger-setup.png', await page.$('[data-test-id="ndv"]'));

	await page.setViewport({ width: 1280, height: 1500 }); // tall enough for the fields and static values
	await openWorkflow(page, demo.baseUrl, demo.workflows.get(CRM));
	await openNode(page, 'Send to CRM');
	await shot('outbound-panel.png', await page.$('[data-test-id="ndv"]'));
} finally {
	await browser.close();
	await demo.stop();
}
