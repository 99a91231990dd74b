/**
 * The example workflows in examples/ run as shipped in a real n8n (each of E2E_VERSIONS: 2.41.1 on Node 24, 2.4.8 on Node 20): only the placeholder hosts
 * (crm.example.com, shop.example.com) are pointed at a local receiver (which needs allowPrivateTargets), and the
 * trigger gets a real API-key credential. KlickTipp → CRM delivers the mapped contact; a deletion request reaches
 * every system and leaves one audit record per system, including the one whose delivery failed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { hasNode, nodeOutput, nodeRan, OUTBOUND_TYPE, ROOT, startSingle, TRIGGER_TYPE, type SingleInstance, type WorkflowDefinition, type WorkflowNode, E2E_VERSIONS } from './harness';
import { contactParams, CREDENTIAL_TYPE, credentialData, postForm, SECRETS } from './klicktipp';
import { always, Receiver } from './receiver';

const skip = hasNode('trigger') && hasNode('outbound') ? false : 'the nodes are not built (dist/ missing)';

function loadExample(file: string, receiverUrl: string, credential: { id: string; name: string }): WorkflowDefinition {
	const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as WorkflowDefinition;
	const text = JSON.stringify(wf.nodes).replace(/https:\/\/(crm|shop)\.example\.com/g, `${receiverUrl}/$1`);
	const nodes = (JSON.parse(text) as WorkflowNode[]).map((node) => {
		if (node.type === TRIGGER_TYPE) return { ...node, credentials: { [CREDENTIAL_TYPE]: credential } };
		if (node.type === OUTBOUND_TYPE) {
			const options = (node.parameters.options ?? {}) as Record<string, unknown>;
			return { ...node, parameters: { ...node.parameters, options: { ...options, allowPrivateTargets: true, retryDelay: 20 } } };
		}
		return node;
	});
	return { ...wf, name: `${wf.name} (e2e)`, nodes };
}

for (const version of E2E_VERSIONS) describe(`examples/ in real n8n (n8n ${version})`, { skip }, () => {
	let n8n: SingleInstance;
	const receiver = new Receiver();
	const wf: Record<string, string> = {};

	before(async () => {
		await receiver.start();
		receiver.on('/shop/gdpr/erase', always(503));
		n8n = await startSingle({ version, label: `examples-${version}` });
		const credential = await n8n.api.createCredential('KlickTipp key', CREDENTIAL_TYPE, credentialData('apiKey'));
		wf.crm = await n8n.api.createAndActivate(loadExample('klicktipp-to-crm.json', receiver.url, credential));
		wf.deletion = await n8n.api.createAndActivate(loadExample('klicktipp-deletion-requests.json', receiver.url, credential));
		for (const p of ['klicktipp-contacts', 'klicktipp-events']) await n8n.api.waitForWebhook(n8n.webhookBase, p);
	});

	after(async () => {
		await n8n?.stop();
		await receiver.stop();
	});

	it('KlickTipp → CRM: refuses a request without the key; delivers the mapped contact with the key', async () => {
		assert.equal((await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(7001))).status, 401);
		const res = await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(7002, { apiKey: SECRETS.apiKey }));
		assert.equal(res.status, 200);
		const [exec] = await n8n.api.waitForExecutions(wf.crm, 1);
		const [got] = await receiver.waitFor('/crm/api/contacts/7002', 1);
		assert.equal(got.method, 'POST');
		assert.deepEqual(got.body, {
			email: 'max.mustermann+7002@example.de',
			SubscriberID: '7002',
			first_name: 'Jürgen',
			last_name: 'Müller-Lüdenscheidt',
			phone: '+491701234567',
			plan: 'Gold Kunde',
			source: 'klicktipp',
		});
		assert.equal(nodeOutput(exec, 'Send to CRM')[0].status, 'delivered');
		assert.ok(nodeRan(exec, 'Delivered') && !nodeRan(exec, 'Failed: replay later'));
	});

	it('deletion request → CRM and shop → one audit record per system, the failed one included', async () => {
		const res = await postForm(n8n.webhookUrl('klicktipp-events'), { SubscriberID: '7100', email: 'weg@example.de', event: 'deletion', apiKey: SECRETS.apiKey });
		assert.equal(res.status, 200);
		const [exec] = await n8n.api.waitForExecutions(wf.deletion, 1, { timeoutMs: 60_000 });
		assert.equal(exec.status, 'success');
		const [crm] = await receiver.waitFor('/crm/api/contacts/7100/delete', 1);
		assert.deepEqual(crm.body, { email: 'weg@example.de', contact_id: '7100', reason: 'klicktipp-privacy-dashboard' });
		assert.equal(receiver.at('/shop/gdpr/erase').length, 5, 'the shop got all 5 attempts');
		assert.deepEqual(receiver.at('/shop/gdpr/erase')[0].query, { email: 'weg@example.de', customer_ref: '7100' });

		const audit = nodeOutput(exec, 'Audit record').map(({ at, ...rest }) => {
			assert.ok(!Number.isNaN(Date.parse(String(at))), `audit time ${at}`);
			return rest;
		});
		audit.sort((a, b) => String(a.outbound).localeCompare(String(b.outbound)));
		assert.deepEqual(audit, [
			{ contactId: '7100', email: 'weg@example.de', outbound: 'Deletion → CRM', status: 'delivered' },
			{ contactId: '7100', email: 'weg@example.de', outbound: 'Deletion → shop', status: 'failed' },
		]);
	});

	it('contact data on the same URL goes to the first output and deletes nothing', async () => {
		const before = receiver.requests.length;
		const res = await postForm(n8n.webhookUrl('klicktipp-events'), contactParams(7200, { apiKey: SECRETS.apiKey }));
		assert.equal(res.status, 200);
		const execs = await n8n.api.waitForExecutions(wf.deletion, 2);
		const latest = execs.find((e) => !nodeRan(e, 'Delete in CRM'));
		assert.ok(latest, 'an execution in which no deletion ran');
		assert.equal(receiver.requests.length, before);
	});
});
