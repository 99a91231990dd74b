/**
 * The trigger's description as n8n-workflow evaluates it: outputs per event type, the webhook paths
 * (empty path = the node's webhookId, both GET and POST), when the credential is required, defaults.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeHelpers, Workflow, type INode, type INodeParameters, type INodeTypes } from 'n8n-workflow';

import { KlickTippOutboundTrigger } from '../../nodes/KlickTippOutboundTrigger/KlickTippOutboundTrigger.node.js';

const nodeType = new KlickTippOutboundTrigger();
const nodeTypes: INodeTypes = { getByName: () => nodeType, getByNameAndVersion: () => nodeType, getKnownTypes: () => ({}) };

function load(parameters: INodeParameters): { workflow: Workflow; node: INode } {
	const node: INode = {
		id: 'n1',
		name: 'KlickTipp',
		type: 'n8n-nodes-klicktipp-outbound.klickTippOutboundTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters,
		webhookId: 'generated-id-123',
	};
	const workflow = new Workflow({ id: 'wf', nodes: [node], connections: {}, active: false, nodeTypes });
	return { workflow, node: workflow.getNode('KlickTipp') as INode };
}

describe('trigger description', () => {
	it('names, version, group, no inputs', () => {
		const d = nodeType.description;
		assert.equal(d.name, 'klickTippOutboundTrigger');
		assert.equal(d.displayName, 'KlickTipp Outbound Trigger');
		assert.equal(d.version, 1);
		assert.deepEqual(d.group, ['trigger']);
		assert.deepEqual(d.inputs, []);
		assert.deepEqual(
			d.properties.filter((p) => p.type !== 'notice').map((p) => p.name),
			['path', 'authentication', 'eventType', 'options'],
		);
		const options = d.properties.find((p) => p.name === 'options')?.options?.map((o) => (o as { name: string }).name).sort();
		assert.deepEqual(options, ['dedupeSeconds', 'eventParameter', 'ignoreTestEvents', 'includeHeaders', 'includeRawBody', 'responseCode']);
	});

	it('one output, or two named outputs for auto', () => {
		for (const [eventType, names] of [
			['contactData', ['Contact Data']],
			['deletionRequest', ['Deletion Request']],
			['auto', ['Contact Data', 'Deletion Request']],
		] as const) {
			const { workflow, node } = load({ eventType });
			const outputs = NodeHelpers.getNodeOutputs(workflow, node, nodeType.description) as Array<{ type: string; displayName: string }>;
			assert.deepEqual(outputs.map((o) => o.displayName), names);
			assert.ok(outputs.every((o) => o.type === 'main'));
		}
	});

	it('GET and POST on the same full path; an empty path is the generated webhookId', () => {
		const hooks = nodeType.description.webhooks ?? [];
		assert.deepEqual(hooks.map((h) => h.httpMethod).sort(), ['GET', 'POST']);
		assert.ok(hooks.every((h) => h.name === 'default' && h.responseMode === 'onReceived'));
		for (const [path, expected] of [['', 'generated-id-123'], ['klicktipp/contacts', 'klicktipp/contacts']]) {
			const { workflow, node } = load({ path });
			for (const hook of hooks) {
				const evaluated = String(workflow.expression.getSimpleParameterValue(node, hook.path, 'internal', {}));
				const isFullPath = workflow.expression.getSimpleParameterValue(node, hook.isFullPath as boolean, 'internal', {}, undefined, false) as boolean;
				assert.equal(NodeHelpers.getNodeWebhookPath('wf', node, evaluated, isFullPath), expected);
			}
		}
	});

	it('requires the credential only when authentication is not none; defaults are secure', () => {
		const credential = nodeType.description.credentials?.[0];
		assert.equal(credential?.name, 'klickTippOutboundApi');
		assert.equal(credential?.required, true);
		for (const [authentication, shown] of [['none', false], ['apiKey', true], ['basicAuth', true], ['signature', true]] as const) {
			const { node } = load({ authentication });
			assert.equal(NodeHelpers.displayParameter(node.parameters, credential!, node, nodeType.description, node.parameters), shown, authentication);
		}
		const { node } = load({});
		assert.equal(node.parameters.authentication, 'apiKey');
		assert.equal(node.parameters.eventType, 'contactData');
	});

	it('shows exactly one setup notice per authentication mode', () => {
		for (const authentication of ['none', 'apiKey', 'basicAuth', 'signature']) {
			const { node } = load({ authentication });
			const notices = nodeType.description.properties.filter(
				(p) => p.type === 'notice' && p.name.startsWith('setupNotice') && NodeHelpers.displayParameter(node.parameters, p, node, nodeType.description),
			);
			assert.equal(notices.length, 1, authentication);
			assert.match(notices[0].displayName, authentication === 'signature' ? /Standard Webhooks/ : /Production URL/);
		}
	});
});
