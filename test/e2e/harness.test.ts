import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { builtNodeTypes, nodeOutput, OUTBOUND_TYPE, startSingle, TRIGGER_TYPE, type SingleInstance, E2E_VERSIONS } from './harness';

// The harness itself, proven with n8n's own Webhook node: create → activate → registered → request → execution read back.
for (const version of E2E_VERSIONS) describe(`e2e harness (n8n built-in Webhook node) (n8n ${version})`, () => {
	let n8n: SingleInstance;
	before(async () => {
		n8n = await startSingle({ version, label: `harness-${version}` });
	});
	after(async () => {
		await n8n?.stop();
	});

	it('loads our package from .n8n/nodes/node_modules like an installed community package', async () => {
		const names = await n8n.api.nodeTypeNames();
		assert.ok(names.includes('n8n-nodes-base.webhook'));
		const built = builtNodeTypes().map((p) => (p.includes('Trigger') ? TRIGGER_TYPE : OUTBOUND_TYPE));
		for (const type of built) assert.ok(names.includes(type), `${type} is not loaded`);
	});

	it('creates, activates and reads back an execution with its run data', async () => {
		const id = await n8n.api.createAndActivate({
			name: 'harness webhook',
			nodes: [
				{
					name: 'Webhook',
					type: 'n8n-nodes-base.webhook',
					typeVersion: 2,
					position: [0, 0],
					webhookId: 'c0ffee00-0000-4000-8000-000000000001',
					parameters: { httpMethod: 'POST', path: 'harness-smoke', options: {} },
				},
			],
			connections: {},
		});
		await n8n.api.waitForWebhook(n8n.webhookBase, 'harness-smoke');
		const res = await fetch(n8n.webhookUrl('harness-smoke'), {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: 'email=max%40example.de&CustomFieldFirstName=J%C3%BCrgen',
		});
		assert.equal(res.status, 200);
		const [exec] = await n8n.api.waitForExecutions(id, 1);
		assert.equal(exec.status, 'success');
		const [item] = nodeOutput(exec, 'Webhook');
		assert.deepEqual(item.body, { email: 'max@example.de', CustomFieldFirstName: 'Jürgen' });
	});
});
