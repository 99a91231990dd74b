/**
 * The delivery benchmarks' workflow, shared by bench/outbound.ts, bench/ratelimit.ts and bench/receivers.ts:
 * Webhook (starts one execution) → Code node (makes N KlickTipp-like contact items) → the sender under test, which
 * is our KlickTipp Outbound node or n8n's HTTP Request node sending the same JSON parameters (both built here) →
 * optionally a Code node per output of the sender that counts what came out of it.
 */
import { randomUUID } from 'node:crypto';

import type { WorkflowNode } from '../test/e2e/harness';
import { connect, outboundNode } from '../test/e2e/klicktipp';

export const SENDER = 'Sender';
/** The counting Code nodes after the sender's main output (0) and error output (1), see deliveryWorkflow. */
export const COUNTERS = ['Out 0', 'Out 1'] as const;

/** A Code node's JavaScript making `n` contact items (umlauts, an empty field every 10th item, an item id). */
export function itemsCode(n: number): string {
	return [
		`const out = [];`,
		`for (let i = 0; i < ${n}; i++) {`,
		`  out.push({ json: { event: 'contactData', eventId: 'evt_' + i, id: 'it-' + i, contact: { id: String(100000 + i),`,
		`    email: 'max.mustermann+' + i + '@example.de', firstName: 'Jürgen', lastName: 'Müller',`,
		`    fields: { fieldCompany: i % 10 === 0 ? '' : 'Bäckerei Größe GmbH' } } } });`,
		`}`,
		`return out;`,
	].join('\n');
}

/**
 * n8n's HTTP Request node (4.2) posting the given JSON parameters, optionally with its batching option, its
 * Timeout option (ms; unset = its default, 5 minutes in n8n 2.x) and a setting for On Error.
 */
export function httpRequestNode(
	url: string,
	parameters: Array<{ name: string; value: string }>,
	opts: { batching?: { batchSize: number; batchInterval: number }; timeoutMs?: number; onError?: WorkflowNode['onError'] } = {},
): WorkflowNode {
	return {
		name: SENDER,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [600, 0],
		parameters: {
			method: 'POST',
			url,
			sendBody: true,
			contentType: 'json',
			specifyBody: 'keypair',
			bodyParameters: { parameters },
			options: {
				...(opts.batching ? { batching: { batch: opts.batching } } : {}),
				...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
			},
		},
		...(opts.onError ? { onError: opts.onError } : {}),
	};
}

/**
 * Our KlickTipp Outbound node (Send, JSON POST) as the sender: the given fields (value, parameter name, default)
 * and static values, `options` as the node's Options collection (only what a run needs; the rest stays at the
 * node's defaults) plus Allow Private Targets for the loopback receiver, and On Error "Continue (using error
 * output)" unless `onError` says otherwise.
 */
export function klickTippSender(
	url: string,
	fields: Array<[value: string, parameterName: string, defaultValue?: string]>,
	opts: { staticValues?: Array<[name: string, value: string]>; options?: Record<string, unknown>; onError?: WorkflowNode['onError'] | null; name?: string } = {},
): WorkflowNode {
	const node = outboundNode(
		opts.name ?? SENDER,
		{
			outboundName: 'bench',
			url,
			method: 'POST',
			format: 'json',
			fields: { field: fields.map(([value, parameterName, defaultValue = '']) => ({ value, parameterName, defaultValue })) },
			...(opts.staticValues ? { staticValues: { value: opts.staticValues.map(([name, value]) => ({ name, value })) } } : {}),
			options: { allowPrivateTargets: true, ...opts.options },
		},
		undefined,
		[600, 0],
	);
	return opts.onError === null ? node : { ...node, onError: opts.onError ?? 'continueErrorOutput' };
}

/** A Code node (all items at once) that outputs one item: how many items came in, and how many carry an error. */
function counterNode(name: string, y: number): WorkflowNode {
	return {
		name,
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		position: [900, y],
		parameters: {
			jsCode: [
				`const all = $input.all();`,
				`return [{ json: { count: all.length, errors: all.filter((i) => i.json.error !== undefined).length } }];`,
			].join('\n'),
		},
	};
}

/**
 * The workflow: Webhook on `hookPath` → Code node making `items` items → `sender` (named SENDER), and with `count`
 * (the sender's number of outputs: 2 for our node with its error output, else 1) a counting Code node of COUNTERS
 * after each output.
 */
export function deliveryWorkflow(name: string, hookPath: string, items: number, sender: WorkflowNode, opts: { count?: 1 | 2 } = {}) {
	const outputs = COUNTERS.slice(0, opts.count ?? 0);
	return {
		name,
		nodes: [
			{
				name: 'Start',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0] as [number, number],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'onReceived', options: {} },
			},
			{ name: 'Items', type: 'n8n-nodes-base.code', typeVersion: 2, position: [300, 0] as [number, number], parameters: { jsCode: itemsCode(items) } },
			sender,
			...outputs.map((name, i) => counterNode(name, i === 0 ? -100 : 100)),
		],
		connections: connect([
			['Start', 'Items'],
			['Items', SENDER],
			...outputs.map((name, i): [string, string, number] => [SENDER, name, i]),
		]),
	};
}
