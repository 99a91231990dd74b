/**
 * The trigger's description as n8n-workflow evaluates it: outputs per event type, the webhook paths
 * (empty path = the node's webhookId, both GET and POST), when the credential is required, defaults.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NodeHelpers, Workflow, type INode, type INodeParameters, type INodeTypes } from 'n8n-workflow';

import { KlickTippOutboundApi } from '../../credentials/KlickTippOutboundApi.credentials.js';
import { KlickTippOutbound } from '../../nodes/KlickTippOutbound/KlickTippOutbound.node.js';
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
		assert.deepEqual(options, ['dedupeSeconds', 'eventParameter', 'ignoreTestEvents', 'includeHeaders', 'includeRawBody', 'ipAllowlist', 'parameterNames', 'responseCode']);
	});

	it('one output, or two named outputs for auto', () => {
		for (const [eventType, names] of [
			['contactData', ['Contact Data']],
			['deletionRequest', ['Deletion']],
			['auto', ['Contact Data', 'Deletion']],
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
		for (const [authentication, shown] of [['none', false], ['apiKey', true], ['basicAuth', true], ['bearerToken', true], ['signature', true]] as const) {
			const { node } = load({ authentication });
			assert.equal(NodeHelpers.displayParameter(node.parameters, credential!, node, nodeType.description, node.parameters), shown, authentication);
		}
		const { node } = load({});
		assert.equal(node.parameters.authentication, 'apiKey');
		assert.equal(node.parameters.eventType, 'contactData');
	});

	it('shows exactly one setup notice per authentication mode', () => {
		for (const authentication of ['none', 'apiKey', 'basicAuth', 'bearerToken', 'signature']) {
			const { node } = load({ authentication });
			const notices = nodeType.description.properties.filter(
				(p) => p.type === 'notice' && p.name.startsWith('setupNotice') && NodeHelpers.displayParameter(node.parameters, p, node, nodeType.description),
			);
			assert.equal(notices.length, 1, authentication);
			const expected = { signature: /Standard Webhooks/, bearerToken: /Authorization: Bearer/ }[authentication] ?? /Production URL/;
			assert.match(notices[0].displayName, expected);
		}
	});

	it('output labels are short enough for the canvas (n8n cuts a label after about 13 characters)', () => {
		const { workflow, node } = load({ eventType: 'auto' });
		const outputs = NodeHelpers.getNodeOutputs(workflow, node, nodeType.description) as Array<{ displayName: string }>;
		for (const o of outputs) assert.ok(o.displayName.length <= 12, `"${o.displayName}" is cut off on the canvas`);
	});
});

/**
 * What n8n's editor makes of a notice (N8nNotice, the same in 2.4.8 and 2.41.x): its text is sanitized down to the
 * tags a, ul and li; every other tag is dropped and the text on both sides of it runs together. The setup steps
 * must therefore be list items.
 */
const NOTICE_TAGS = new Set(['a', 'ul', 'li']);
function tagsOf(html: string): string[] {
	return [...html.matchAll(/<\/?\s*([a-zA-Z][\w-]*)[^>]*>/g)].map((m) => m[1].toLowerCase());
}
/** The text a person reads, as n8n renders it: list items become their own lines. */
function renderedLines(html: string): string[] {
	return html
		.replace(/<\/?(ul|li)>/g, '\n')
		.split('\n')
		.map((l) => l.trim())
		.filter(Boolean);
}

describe('notices as n8n renders them', () => {
	const all = [
		...nodeType.description.properties.map((p) => ({ where: 'trigger', p })),
		...new KlickTippOutbound().description.properties.map((p) => ({ where: 'outbound', p })),
		...new KlickTippOutboundApi().properties.map((p) => ({ where: 'credential', p })),
	].filter(({ p }) => p.type === 'notice');

	it('use only the tags n8n keeps in a notice (a, ul, li), and no stray "<"', () => {
		assert.ok(all.length >= 6, `found ${all.length} notices`);
		for (const { where, p } of all) {
			for (const tag of tagsOf(p.displayName)) assert.ok(NOTICE_TAGS.has(tag), `${where} ${p.name}: <${tag}> is stripped by n8n`);
			const withoutTags = p.displayName.replace(/<\/?(a|ul|li)\b[^>]*>/g, '');
			assert.ok(!withoutTags.includes('<'), `${where} ${p.name}: a raw "<" (write &lt;)`);
		}
	});

	it('the setup notices are a title line and numbered steps, one list item each, in order', () => {
		const expectedSteps: Record<string, number> = { setupNoticeStaticValue: 4, setupNoticeBasicAuth: 3, setupNoticeNone: 3 };
		for (const [name, count] of Object.entries(expectedSteps)) {
			const html = nodeType.description.properties.find((p) => p.name === name)!.displayName;
			const list = /^([^<]+):<ul>((?:<li>[^<]+<\/li>)+)<\/ul>([^<]*)$/.exec(html);
			assert.ok(list, `${name} is "title:<ul><li>…</li>…</ul>[closing line]": ${html}`);
			const items = [...list[2].matchAll(/<li>([^<]+)<\/li>/g)].map((m) => m[1]);
			assert.equal(items.length, count, name);
			items.forEach((item, i) => assert.match(item, new RegExp(`^${i + 1}\\. [A-Z]`), `${name} step ${i + 1}`));
			assert.match(list[1], /Setup in KlickTipp/);
			const lines = renderedLines(html);
			assert.equal(lines.length, 1 + count + (list[3] ? 1 : 0), `${name} renders as separate lines`);
			assert.ok(lines.some((l) => /Production URL/.test(l)), name);
		}
		const apiKey = renderedLines(nodeType.description.properties.find((p) => p.name === 'setupNoticeStaticValue')!.displayName);
		assert.match(apiKey[3], /^3\. Add a static value/);
		assert.match(apiKey[4], /^4\. Click "Save and test"/);
		assert.match(apiKey[5], /401/);
	});
});
