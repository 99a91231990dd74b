/**
 * The example workflows in examples/ run as shipped in a real n8n (each of E2E_VERSIONS: 2.41.1 on Node 24, 2.4.8
 * on Node 20): only the placeholder hosts
 * (crm.example.com, shop.example.com) are pointed at a local receiver (which needs allowPrivateTargets), and each
 * trigger gets a real API-key credential of its own (as the examples reference one each). KlickTipp → CRM delivers
 * the mapped contact; KlickTipp's "Save and test" request (contact 12345, isTest: true) is routed aside in both
 * examples and reaches no system; a deletion request reaches every system and leaves one audit record per system,
 * including the one whose delivery failed. The dead-letter example (Data Table, Schedule Trigger, Redeliver) has a
 * file of its own: dead-letter.test.ts.
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
		const contacts = await n8n.api.createCredential('KlickTipp key (contacts)', CREDENTIAL_TYPE, credentialData('apiKey'));
		const deletions = await n8n.api.createCredential('KlickTipp key (deletions)', CREDENTIAL_TYPE, credentialData('apiKey'));
		wf.crm = await n8n.api.createAndActivate(loadExample('klicktipp-to-crm.json', receiver.url, contacts));
		wf.deletion = await n8n.api.createAndActivate(loadExample('klicktipp-deletion-requests.json', receiver.url, deletions));
		for (const p of ['klicktipp-contacts', 'klicktipp-events']) await n8n.api.waitForWebhook(n8n.webhookBase, p);
	});

	after(async () => {
		await n8n?.stop();
		await receiver.stop();
	});

	it("each example references credentials of its own (opening one never attaches another's)", () => {
		const files = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
		const names = files.map((file) => {
			const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as WorkflowDefinition;
			const refs = wf.nodes.flatMap((n) => Object.values(n.credentials ?? {}).map((c) => c.name));
			assert.ok(refs.length > 0, `examples/${file}: the trigger references its credential by name`);
			return new Set(refs);
		});
		for (let i = 0; i < files.length; i++) {
			for (let j = i + 1; j < files.length; j++) {
				assert.deepEqual([...names[i]].filter((n) => names[j].has(n)), [], `${files[i]} and ${files[j]} share a credential`);
			}
		}
	});

	it("KlickTipp → CRM: KlickTipp's test request (contact 12345) is routed aside and never reaches the CRM", async () => {
		const before = receiver.requests.length;
		const res = await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(12345, { apiKey: SECRETS.apiKey }));
		assert.equal(res.status, 200);
		assert.equal(((await res.json()) as { isTest: boolean }).isTest, true);
		const [exec] = await n8n.api.waitForExecutions(wf.crm, 1);
		assert.equal(exec.status, 'success');
		assert.equal(nodeOutput(exec, 'Test event (not sent)')[0].contact.id, '12345');
		assert.ok(!nodeRan(exec, 'Send to CRM'), 'Send to CRM did not run');
		assert.equal(receiver.requests.length, before, 'nothing reached the receiver');
	});

	it('KlickTipp → CRM: refuses a request without the key; delivers the mapped contact with the key', async () => {
		assert.equal((await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(7001))).status, 401);
		const res = await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(7002, { apiKey: SECRETS.apiKey }));
		assert.equal(res.status, 200);
		const execs = await n8n.api.waitForExecutions(wf.crm, 2);
		const exec = execs[execs.length - 1];
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
		assert.ok(!nodeRan(exec, 'Test event (not sent)'));
	});

	it("deletion example: KlickTipp's test deletion request (contact 12345) deletes nothing", async () => {
		const before = receiver.requests.length;
		const res = await postForm(n8n.webhookUrl('klicktipp-events'), { SubscriberID: '12345', email: 'test@example.de', event: 'deletion', apiKey: SECRETS.apiKey });
		assert.equal(res.status, 200);
		const [exec] = await n8n.api.waitForExecutions(wf.deletion, 1);
		assert.equal(exec.status, 'success');
		assert.equal(nodeOutput(exec, 'Test event (not sent)')[0].contact.id, '12345');
		assert.ok(!nodeRan(exec, 'Delete in CRM') && !nodeRan(exec, 'Delete in shop'));
		assert.equal(receiver.requests.length, before, 'nothing reached the receiver');
	});

	it('deletion request → CRM and shop → one audit record per system, the failed one included', async () => {
		const res = await postForm(n8n.webhookUrl('klicktipp-events'), { SubscriberID: '7100', email: 'weg@example.de', event: 'deletion', apiKey: SECRETS.apiKey });
		assert.equal(res.status, 200);
		const execs = await n8n.api.waitForExecutions(wf.deletion, 2, { timeoutMs: 60_000 });
		const exec = execs[execs.length - 1];
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
		const execs = await n8n.api.waitForExecutions(wf.deletion, 3);
		const latest = execs[execs.length - 1];
		assert.ok(!nodeRan(latest, 'Delete in CRM') && !nodeRan(latest, 'KlickTipp test request?'), 'no deletion ran');
		assert.equal(receiver.requests.length, before);
	});
});
