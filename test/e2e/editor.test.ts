/**
 * What a person sees in the real n8n editor after `npm start` (scripts/start.mjs, in a temp data folder), read in
 * headless Chromium with the same session code as `npm run screenshots` (scripts/editor.mjs): the CRM example's
 * trigger panel shows the Webhook URLs for both POST and GET, the setup notice renders as separate steps (one
 * rendered line each, not one run-on paragraph), each example's trigger shows its own demo credential, and that
 * credential passes n8n's credential test. Once per E2E_VERSIONS (n8n renders notices differently across versions). Needs Debian's
 * `chromium` (.ci/run installs it); skipped without it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

// @ts-expect-error: plain ES module shared with scripts/screenshots.mjs, no type declarations
import * as editor from '../../scripts/editor.mjs';
import { E2E_VERSIONS, isInstalled, ROOT } from './harness';

const CRM = 'KlickTipp → CRM (contact data)';
const DELETION = 'KlickTipp deletion request → every system → audit log';

/** The credential name an example's trigger references (what the editor must show for it). */
function triggerCredential(file: string): string {
	const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
	const trigger = wf.nodes.find((n: { name: string }) => n.name === 'KlickTipp Outbound Trigger');
	return trigger.credentials.klickTippOutboundApi.name;
}
const skip = (version: string) =>
	!editor.chromiumInstalled()
		? `no Chromium at ${editor.CHROMIUM} (apt-get install -y chromium)`
		: !isInstalled(version)
			? `n8n ${version} is not installed`
			: false;

for (const version of E2E_VERSIONS) describe(`the editor after npm start (n8n ${version}, headless Chromium)`, { skip: skip(version) }, () => {
	let demo: any;
	let browser: any;
	let page: any;

	before(async () => {
		demo = await editor.startDemo({ env: { KLICKTIPP_SKIP_BUILD: '1', KLICKTIPP_N8N_VERSION: version } });
		browser = await editor.launchBrowser({ width: 1280, height: 1000 });
		page = browser.page;
		await editor.signIn(page, demo.baseUrl, demo.login);
		await editor.openWorkflow(page, demo.baseUrl, demo.workflows.get(CRM));
		await editor.openNode(page, 'KlickTipp Outbound Trigger');
	});

	after(async () => {
		await browser?.close();
		await demo?.stop();
	});

	it('the Webhook URLs section lists the production URL for both POST and GET', async () => {
		const text: string = await editor.showWebhookUrls(page, 'Production URL');
		const url = `${demo.baseUrl}/webhook/klicktipp-contacts`;
		for (const method of ['POST', 'GET']) {
			assert.match(text, new RegExp(`^${method}\\s*\\n\\s*${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm'), `${method} row:\n${text}`);
		}
	});

	it('the setup notice renders as separate steps, each on a line of its own', async () => {
		const notices: string[] = await editor.noticeTexts(page);
		const lines = notices.flatMap((t) => t.split('\n')).map((l) => l.trim()).filter(Boolean);
		const setup = notices.join('\n');
		assert.match(setup, /Setup in KlickTipp/, `the setup notice is shown:\n${setup}`);
		// each step of the API-key setup starts a rendered line: the run-on paragraph (n8n strips <br>) fails here
		const steps = ['Automation › Webhook', 'Request method', 'static value', 'Save and test'];
		const lineOf = steps.map((s) => lines.findIndex((l) => l.includes(s)));
		assert.ok(lineOf.every((i) => i >= 0), `every step is shown:\n${setup}`);
		assert.equal(new Set(lineOf).size, steps.length, `steps share a line (run-on):\n${setup}`);
		assert.deepEqual([...lineOf].sort((a, b) => a - b), lineOf, 'the steps are in order');
	});

	it("each example's trigger shows its own credential (opening the deletion example does not attach the CRM's)", async () => {
		const [contacts, deletions] = [triggerCredential('klicktipp-to-crm.json'), triggerCredential('klicktipp-deletion-requests.json')];
		assert.notEqual(contacts, deletions);
		assert.equal(await editor.selectedCredential(page), contacts);
		await editor.closeNode(page);
		await editor.openWorkflow(page, demo.baseUrl, demo.workflows.get(DELETION));
		await editor.openNode(page, 'KlickTipp Outbound Trigger');
		assert.equal(await editor.selectedCredential(page), deletions);
	});

	it("the demo credential on the trigger passes n8n's credential test", async () => {
		assert.equal(await editor.openCredential(page), 'success');
	});
});
