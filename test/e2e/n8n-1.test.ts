/**
 * The same package on n8n 1.123.x (the maintained 1.x line that still runs on Node 20): it loads, and the core
 * scenario passes — authenticated trigger (accepted / rejected / duplicate), auto routing, outbound with mapping,
 * placeholders and signature to a local receiver, audit record for a deletion request.
 * The runtime is installed on demand by scripts/ensure-n8n.mjs (about 6 minutes the first time).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';

import { hasNode, isInstalled, nodeOutput, ROOT, startSingle, type SingleInstance } from './harness';
import { connect, contactParams, CREDENTIAL_TYPE, credentialData, outboundNode, postForm, SECRETS, triggerNode } from './klicktipp';
import { Receiver } from './receiver';

export const N8N_1_VERSION = process.env.KLICKTIPP_N8N1_VERSION || '1.123.81';
const TRIGGER = 'KlickTipp Outbound Trigger';
const skip =
	hasNode('trigger') && hasNode('outbound')
		? false
		: 'the trigger or the outbound node is not built (dist/nodes/KlickTippOutbound*/ missing)';

describe(`core scenario on n8n ${N8N_1_VERSION}`, { skip, timeout: 15 * 60_000 }, () => {
	let n8n: SingleInstance;
	const receiver = new Receiver();
	let wfId = '';

	before(async () => {
		if (!isInstalled(N8N_1_VERSION)) {
			// on demand, like `npm start` would: prints its own progress to stderr
			execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-n8n.mjs'), N8N_1_VERSION], { stdio: 'inherit' });
		}
		await receiver.start();
		n8n = await startSingle({ version: N8N_1_VERSION, label: 'n8n1' });
		const apiKeyCred = await n8n.api.createCredential('KT api key', CREDENTIAL_TYPE, credentialData('apiKey'));
		const signing = await n8n.api.createCredential('KT signing', CREDENTIAL_TYPE, credentialData('signature'));
		const options = { allowPrivateTargets: true, retryDelay: 50 };
		wfId = await n8n.api.createAndActivate({
			name: 'core scenario',
			nodes: [
				triggerNode('core', { authentication: 'apiKey', eventType: 'auto' }, apiKeyCred, TRIGGER),
				outboundNode(
					'CRM',
					{
						outboundName: 'CRM',
						url: `${receiver.url}/crm/__contact_id__`,
						fields: {
							field: [
								{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' },
								{ value: '={{ $json.contact.firstName }}', parameterName: 'first_name', defaultValue: '' },
							],
						},
						staticValues: { value: [{ name: 'source', value: 'klicktipp' }] },
						authentication: 'signature',
						options,
					},
					signing,
					[300, -100],
				),
				outboundNode(
					'Delete in CRM',
					{
						outboundName: 'CRM deletion',
						events: ['deletionRequest'],
						url: `${receiver.url}/delete/__contact_id__`,
						fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
						options,
					},
					undefined,
					[300, 100],
				),
			],
			connections: connect([
				[TRIGGER, 'CRM', 0],
				[TRIGGER, 'Delete in CRM', 1],
			]),
		});
		await n8n.api.waitForWebhook(n8n.webhookBase, 'core');
	});

	after(async () => {
		await n8n?.stop();
		await receiver.stop();
	});

	it('loads our package and runs trigger → outbound → receiver; rejects, de-duplicates, routes deletions', async () => {
		const url = n8n.webhookUrl('core');
		const rejected = await postForm(url, { ...contactParams('710001'), apiKey: 'wrong' });
		assert.equal(rejected.status, 401);
		const ok = await postForm(url, { ...contactParams('710002'), apiKey: SECRETS.apiKey });
		assert.equal(ok.status, 200, await ok.clone().text());
		const dup = await postForm(url, { ...contactParams('710002'), apiKey: SECRETS.apiKey });
		assert.equal(((await dup.json()) as { status: string }).status, 'duplicate');
		const del = await postForm(url, { ...contactParams('710003'), event: 'deletion', apiKey: SECRETS.apiKey });
		assert.equal(del.status, 200);

		const execs = await n8n.api.waitForExecutions(wfId, 2);
		assert.equal(execs.length, 2, 'one execution for the contact, one for the deletion; none for rejected or duplicate');
		assert.ok(execs.every((e) => e.status === 'success'), JSON.stringify(execs.map((e) => e.data?.resultData.error)));

		const [crm] = await receiver.waitFor('/crm/710002', 1);
		assert.deepEqual(crm.body, {
			email: 'max.mustermann+710002@example.de',
			contact_id: '710002',
			first_name: 'Jürgen',
			source: 'klicktipp',
		});
		new Webhook(SECRETS.signingSecret).verify(crm.rawBody.toString('utf8'), {
			'webhook-id': String(crm.headers['webhook-id']),
			'webhook-timestamp': String(crm.headers['webhook-timestamp']),
			'webhook-signature': String(crm.headers['webhook-signature']),
		});
		const [deletion] = await receiver.waitFor('/delete/710003', 1);
		assert.deepEqual(deletion.body, { email: 'max.mustermann+710003@example.de', contact_id: '710003' });
		assert.equal(receiver.at('/crm/710003').length, 0);

		const audit = execs.flatMap((e) => nodeOutput(e, 'Delete in CRM')).map((o) => o.audit);
		assert.equal(audit.length, 1);
		assert.equal(audit[0].contactId, '710003');
		assert.equal(audit[0].status, 'delivered');
		const contactItem = execs.flatMap((e) => nodeOutput(e, TRIGGER, 0))[0];
		assert.equal(contactItem.contact.phone, '+491701234567');
		assert.ok(!('apiKey' in contactItem.params));
	});
});
