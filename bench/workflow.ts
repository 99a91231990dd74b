/**
 * The delivery benchmarks' workflow, shared by bench/outbound.ts and bench/ratelimit.ts: Webhook (starts one
 * execution) → Code node (makes N KlickTipp-like contact items) → the sender under test, which is our KlickTipp
 * Outbound node or n8n's HTTP Request node sending the same JSON parameters.
 */
import { randomUUID } from 'node:crypto';

import type { WorkflowNode } from '../test/e2e/harness';
import { connect } from '../test/e2e/klicktipp';

export const SENDER = 'Sender';

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

/** n8n's HTTP Request node (4.2) posting the given JSON parameters, optionally with its batching option. */
export function httpRequestNode(
	url: string,
	parameters: Array<{ name: string; value: string }>,
	batching?: { batchSize: number; batchInterval: number },
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
			options: batching ? { batching: { batch: batching } } : {},
		},
	};
}

/** The workflow: Webhook on `hookPath` → Code node making `items` items → `sender` (named SENDER). */
export function deliveryWorkflow(name: string, hookPath: string, items: number, sender: WorkflowNode) {
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
		],
		connections: connect([
			['Start', 'Items'],
			['Items', SENDER],
		]),
	};
}
