/**
 * Trigger → KlickTipp Outbound → a local receiver, in a real n8n (each of E2E_VERSIONS: 2.41.1 on Node 24, 2.4.8 on Node 20): the receiver gets exactly the mapped
 * fields, static values, placeholders and auth/signature; retries show as attempts; a receiver that always fails
 * leaves the item on the error output; a deletion request produces its audit record; once-per-contact holds
 * across executions.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';

import { hasNode, nodeItems, nodeOutput, nodeRan, startSingle, type SingleInstance, E2E_VERSIONS } from './harness';
import { connect, contactParams, CREDENTIAL_TYPE, credentialData, outboundNode, postForm, SECRETS, triggerNode } from './klicktipp';
import { always, failTimes, Receiver } from './receiver';

const skip =
	hasNode('trigger') && hasNode('outbound')
		? false
		: 'the trigger or the outbound node is not built (dist/nodes/KlickTippOutbound*/ missing)';

const TRIGGER = 'KlickTipp Outbound Trigger';
const OUTBOUND_KEYS = ['attempts', 'durationMs', 'httpStatus', 'outbound', 'request', 'status'];
let seq = 500000 + (Math.floor(Date.now() / 1000) % 100000);
const nextId = () => String(++seq);

/** The fields and static values every test outbound maps (KlickTipp's form: parameter name, default value). */
const mapping = {
	fields: {
		field: [
			{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' },
			{ value: '={{ $json.contact.firstName }}', parameterName: 'first_name', defaultValue: '' },
			{ value: '={{ $json.contact.fields.fieldCompany }}', parameterName: 'company', defaultValue: 'n/a' },
		],
	},
	staticValues: { value: [{ name: 'list', value: 'newsletter' }, { name: 'source', value: 'klicktipp' }] },
};

for (const version of E2E_VERSIONS) describe(`trigger → KlickTipp Outbound → receiver in real n8n (n8n ${version})`, { skip }, () => {
	let n8n: SingleInstance;
	const receiver = new Receiver();
	const wf: Record<string, string> = {};

	before(async () => {
		await receiver.start();
		receiver.on('/flaky', failTimes(2, 503)).on('/down', always(500));
		n8n = await startSingle({ version, label: `outbound-${version}` });
		const signing = await n8n.api.createCredential('KT signing', CREDENTIAL_TYPE, credentialData('signature'));
		const wpKey = await n8n.api.createCredential('WP access key', CREDENTIAL_TYPE, {
			apiKey: SECRETS.apiKey,
			keyName: 'access_key',
			keyLocation: 'query',
		});
		const basic = await n8n.api.createCredential('Warehouse login', CREDENTIAL_TYPE, credentialData('basicAuth'));
		const base = { allowPrivateTargets: true, retryDelay: 50 };
		const r = receiver.url;

		wf.fanout = await n8n.api.createAndActivate({
			name: 'KlickTipp → CRM, WordPress, warehouse',
			nodes: [
				triggerNode('e2e-fanout', { authentication: 'none' }, undefined, TRIGGER),
				outboundNode(
					'CRM',
					{
						outboundName: 'CRM',
						label: 'crm sync',
						url: `${r}/crm/__contact_id__?src=__source__`,
						method: 'POST',
						format: 'json',
						...mapping,
						authentication: 'signature',
						options: base,
					},
					signing,
					[300, -200],
				),
				outboundNode(
					'WordPress',
					{
						outboundName: 'WP Fusion',
						url: `${r}/wp?wpf_action=add`,
						method: 'GET',
						fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
						staticValues: { value: [{ name: 'tag', value: 'Kunde Gold' }] },
						authentication: 'apiKey',
						options: base,
					},
					wpKey,
					[300, 0],
				),
				outboundNode(
					'Warehouse',
					{
						outboundName: 'Warehouse',
						url: `${r}/warehouse`,
						method: 'POST',
						format: 'form',
						emailParameterName: 'mail',
						...mapping,
						authentication: 'basicAuth',
						options: base,
					},
					basic,
					[300, 200],
				),
			],
			connections: connect([
				[TRIGGER, 'CRM'],
				[TRIGGER, 'WordPress'],
				[TRIGGER, 'Warehouse'],
			]),
		});

		wf.flaky = await n8n.api.createAndActivate({
			name: 'flaky receiver',
			nodes: [
				triggerNode('e2e-flaky', { authentication: 'none' }, undefined, TRIGGER),
				outboundNode('Flaky', { outboundName: 'Flaky', url: `${r}/flaky`, ...mapping, options: { ...base, maxAttempts: 5 } }),
			],
			connections: connect([[TRIGGER, 'Flaky']]),
		});

		const down = outboundNode('Down', {
			outboundName: 'Down',
			url: `${r}/down`,
			...mapping,
			options: { ...base, maxAttempts: 3 },
		});
		down.onError = 'continueErrorOutput';
		wf.down = await n8n.api.createAndActivate({
			name: 'receiver always fails',
			nodes: [
				triggerNode('e2e-down', { authentication: 'none' }, undefined, TRIGGER),
				down,
				{ name: 'Delivered', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [600, -100], parameters: {} },
				{ name: 'Failed', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [600, 100], parameters: {} },
			],
			connections: connect([
				[TRIGGER, 'Down'],
				['Down', 'Delivered', 0],
				['Down', 'Failed', 1],
			]),
		});

		wf.deletion = await n8n.api.createAndActivate({
			name: 'deletion request → every system',
			nodes: [
				triggerNode('e2e-deletion', { authentication: 'none', eventType: 'auto' }, undefined, TRIGGER),
				outboundNode('Delete in CRM', {
					outboundName: 'CRM deletion',
					events: ['deletionRequest'],
					url: `${r}/delete/__contact_id__`,
					fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
					options: base,
				}),
			],
			connections: connect([[TRIGGER, 'Delete in CRM', 1]]),
		});

		wf.once = await n8n.api.createAndActivate({
			name: 'once per contact',
			nodes: [
				triggerNode('e2e-once', { authentication: 'none', options: { dedupeSeconds: 0 } }, undefined, TRIGGER),
				outboundNode('Tag rule', {
					outboundName: 'Tag rule',
					url: `${r}/once`,
					...mapping,
					options: { ...base, oncePerContactHours: 6 },
				}),
			],
			connections: connect([[TRIGGER, 'Tag rule']]),
		});
		for (const p of ['e2e-fanout', 'e2e-flaky', 'e2e-down', 'e2e-deletion', 'e2e-once']) {
			await n8n.api.waitForWebhook(n8n.webhookBase, p);
		}
	});

	after(async () => {
		await n8n?.stop();
		await receiver.stop();
	});

	it('delivers exactly the mapped fields, static values and placeholders, with signature, API key and Basic Auth', async () => {
		const id = nextId();
		const email = `max.mustermann+${id}@example.de`;
		assert.equal((await postForm(n8n.webhookUrl('e2e-fanout'), contactParams(id))).status, 200);
		const [exec] = await n8n.api.waitForExecutions(wf.fanout, 1);
		assert.equal(exec.status, 'success');

		// CRM: JSON, placeholders in path and query, Standard Webhooks signature over the exact bytes
		const [crm] = await receiver.waitFor(`/crm/${id}`, 1);
		assert.equal(receiver.at(`/crm/${id}`).length, 1);
		assert.equal(crm.method, 'POST');
		assert.match(String(crm.headers['content-type']), /^application\/json/);
		assert.deepEqual(crm.query, { src: 'klicktipp' });
		assert.deepEqual(crm.body, {
			email,
			contact_id: id,
			first_name: 'Jürgen',
			company: 'n/a',
			list: 'newsletter',
			source: 'klicktipp',
		});
		const verified = new Webhook(SECRETS.signingSecret).verify(crm.rawBody.toString('utf8'), {
			'webhook-id': String(crm.headers['webhook-id']),
			'webhook-timestamp': String(crm.headers['webhook-timestamp']),
			'webhook-signature': String(crm.headers['webhook-signature']),
		});
		assert.deepEqual(verified, crm.body);

		// WordPress (WP Fusion style): GET, everything in the query, API key as access_key
		const [wp] = await receiver.waitFor('/wp', 1);
		assert.equal(wp.method, 'GET');
		assert.deepEqual(wp.query, { wpf_action: 'add', access_key: SECRETS.apiKey, email, contact_id: id, tag: 'Kunde Gold' });

		// Warehouse: form body, UTF-8, renamed email parameter, Basic Auth
		const [wh] = await receiver.waitFor('/warehouse', 1);
		assert.match(String(wh.headers['content-type']), /^application\/x-www-form-urlencoded/);
		assert.deepEqual(wh.body, {
			mail: email,
			contact_id: id,
			first_name: 'Jürgen',
			company: 'n/a',
			list: 'newsletter',
			source: 'klicktipp',
		});
		assert.equal(wh.headers.authorization, `Basic ${Buffer.from(`${SECRETS.username}:${SECRETS.password}`).toString('base64')}`);

		for (const node of ['CRM', 'WordPress', 'Warehouse']) {
			const [out] = nodeOutput(exec, node);
			assert.ok(out, `${node} produced an item`);
			assert.deepEqual(Object.keys(out).sort(), OUTBOUND_KEYS, `${node} output keys ${Object.keys(out)}`);
			assert.equal(out.status, 'delivered');
			assert.equal(out.attempts, 1);
			assert.equal(out.httpStatus, 200);
		}
		assert.deepEqual(nodeOutput(exec, 'CRM')[0].outbound, { name: 'CRM', label: 'crm sync' });
		const text = JSON.stringify(exec.data);
		for (const [name, value] of Object.entries(SECRETS)) {
			if (name !== 'username') assert.ok(!text.includes(value), `secret ${name} appears in the execution data`);
		}
	});

	it('a receiver that fails twice then succeeds shows three attempts and one delivery', async () => {
		const before = receiver.at('/flaky').length;
		assert.equal((await postForm(n8n.webhookUrl('e2e-flaky'), contactParams(nextId()))).status, 200);
		const [exec] = await n8n.api.waitForExecutions(wf.flaky, 1);
		const [out] = nodeOutput(exec, 'Flaky');
		assert.equal(out.status, 'delivered');
		assert.equal(out.attempts, 3);
		assert.equal(receiver.at('/flaky').length - before, 3);
	});

	it('a receiver that always fails leaves the item on the error output (the workflow goes on)', async () => {
		const id = nextId();
		assert.equal((await postForm(n8n.webhookUrl('e2e-down'), contactParams(id))).status, 200);
		const [exec] = await n8n.api.waitForExecutions(wf.down, 1, { timeoutMs: 60_000 });
		assert.equal(exec.status, 'success', 'the error output keeps the execution going');
		assert.equal(nodeOutput(exec, 'Down', 0).length, 0, 'nothing on the success output');
		const failed = nodeItems(exec, 'Down', 1);
		assert.equal(failed.length, 1);
		// The error item is the trigger's item (n8n merges the input in: the contact to replay) plus `error`: the
		// whole failed delivery (message, status, reason, attempts, the request as sent, masked).
		const error = failed[0].json.error as Record<string, any>;
		assert.match(String(error.message), /Outbound "Down" failed with HTTP 500/);
		assert.match(String(error.reason), /3 attempts/);
		assert.equal(error.status, 'failed');
		assert.equal(error.attempts, 3);
		assert.equal(error.httpStatus, 500);
		assert.equal(error.request.method, 'POST');
		assert.match(String(error.request.url), /\/down$/);
		assert.equal((failed[0].json.contact as { id: string }).id, id, 'the contact travels with the failed delivery');
		const paired = Array.isArray(failed[0].pairedItem) ? failed[0].pairedItem[0] : failed[0].pairedItem;
		assert.equal(nodeOutput(exec, TRIGGER)[paired?.item ?? -1]?.contact.id, id, 'paired to the contact that failed');
		assert.ok(nodeRan(exec, 'Failed') && !nodeRan(exec, 'Delivered'));
		assert.equal(receiver.at('/down').length, 3, 'three attempts reached the receiver');
		assert.ok(receiver.at('/down').every((r) => (r.body as Record<string, string>).contact_id === id));
	});

	it('a deletion request reaches the deletion outbound and produces its audit record', async () => {
		const id = nextId();
		const contactOnly = nextId();
		assert.equal((await postForm(n8n.webhookUrl('e2e-deletion'), { ...contactParams(id), event: 'deletion' })).status, 200);
		assert.equal((await postForm(n8n.webhookUrl('e2e-deletion'), contactParams(contactOnly))).status, 200);
		const execs = await n8n.api.waitForExecutions(wf.deletion, 2);
		const [req] = await receiver.waitFor(`/delete/${id}`, 1);
		assert.deepEqual(req.body, { email: `max.mustermann+${id}@example.de`, contact_id: id });
		assert.equal(receiver.at(`/delete/${contactOnly}`).length, 0, 'contact data does not reach the deletion outbound');
		const outs = execs.flatMap((e) => nodeOutput(e, 'Delete in CRM'));
		assert.equal(outs.length, 1);
		assert.equal(outs[0].status, 'delivered');
		assert.equal(outs[0].audit.contactId, id);
		assert.equal(outs[0].audit.email, `max.mustermann+${id}@example.de`);
		assert.equal(outs[0].audit.outbound, 'CRM deletion');
		assert.equal(outs[0].audit.status, 'delivered');
		assert.ok(Math.abs(Date.parse(outs[0].audit.at) - Date.now()) < 120_000);
	});

	it('once per contact (6 h tag rule) holds across executions of the active workflow', async () => {
		const id = nextId();
		assert.equal((await postForm(n8n.webhookUrl('e2e-once'), contactParams(id))).status, 200);
		await n8n.api.waitForExecutions(wf.once, 1);
		assert.equal((await postForm(n8n.webhookUrl('e2e-once'), contactParams(id, { CustomFieldLastName: 'Neu' }))).status, 200);
		const execs = await n8n.api.waitForExecutions(wf.once, 2);
		const outs = execs.map((e) => nodeOutput(e, 'Tag rule')[0]);
		assert.equal(outs[0].status, 'delivered');
		assert.equal(outs[1].status, 'skipped');
		assert.match(outs[1].reason, /once per contact/i);
		assert.equal(receiver.at('/once').length, 1);
	});
});
