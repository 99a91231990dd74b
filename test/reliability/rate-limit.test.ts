/**
 * Reliability against a rate-limited receiver: items go through the KlickTipp Outbound node (n8n-core's
 * WorkflowExecute, real this.helpers.httpRequest) to a local receiver that accepts R requests per second (token
 * bucket, 20 ms latency) and answers 429 + Retry-After beyond. Checked for both pacing modes: every item ends
 * exactly once — delivered on the main output or failed on the error output — and the counts add up: the
 * receiver accepted each delivered item exactly once and no failed one, and each item's `attempts` is the number
 * of requests the receiver got for it. With Adaptive Pacing (the default) every item is delivered.
 */
import { after, describe, it } from 'node:test';
import type { INodeExecutionData } from 'n8n-workflow';
import assert from 'node:assert/strict';

import { runOutbound } from '../helpers/execute-harness';
import { keyOf, startReceiver, tokenBucket, type Receiver } from '../helpers/receiver';

const ITEMS = Number(process.env.RELIABILITY_RATE_ITEMS ?? 2000);
const RATE = 200;

function record(item: INodeExecutionData): Record<string, unknown> {
	const error = item.json.error;
	return error && typeof error === 'object' ? (error as Record<string, unknown>) : item.json;
}

const receivers: Receiver[] = [];
after(async () => {
	for (const rx of receivers) await rx.close();
});

async function run(adaptivePacing: boolean) {
	const bucket = tokenBucket({ rate: RATE, latencyMs: 20 });
	const rx = await startReceiver(bucket.script);
	receivers.push(rx);
	const ids = Array.from({ length: ITEMS }, (_, i) => `rl-${i}`);
	const started = Date.now();
	const result = await runOutbound({
		items: ids.map((id, i) => ({ event: 'contactData', id, contact: { id: String(i), email: `c${i}@example.de` } })),
		parameters: {
			operation: 'send',
			outboundName: 'Rate limited',
			url: `${rx.url}/hook`,
			fields: { field: [{ value: '={{ $json.id }}', parameterName: 'id', defaultValue: '' }] },
			options: { allowPrivateTargets: true, adaptivePacing },
		},
		onError: 'continueErrorOutput',
	});
	const wallMs = Date.now() - started;
	assert.equal(result.error, undefined, String(result.error?.message));

	const seen = new Map<number, 'delivered' | 'failed'>();
	const hits = new Map<string, number>();
	for (const r of rx.requests) hits.set(keyOf(r), (hits.get(keyOf(r)) ?? 0) + 1);
	for (const [output, items] of [['main', result.main], ['error', result.errorOutput]] as const) {
		for (const item of items) {
			const index = (item.pairedItem as { item: number }).item;
			assert.ok(!seen.has(index), `item ${index} ends twice`);
			const json = record(item);
			const id = ids[index];
			assert.equal(json.status, output === 'main' ? 'delivered' : 'failed', `${id} on the ${output} output`);
			seen.set(index, json.status as 'delivered' | 'failed');
			assert.equal(json.attempts, hits.get(id) ?? 0, `${id}: attempts = requests the receiver got`);
			assert.equal(bucket.stats.acceptedByKey.get(id) ?? 0, json.status === 'delivered' ? 1 : 0, `${id}: accepted once if delivered, never if failed`);
		}
	}
	assert.equal(seen.size, ITEMS, `${ITEMS - seen.size} item(s) lost`);
	const delivered = [...seen.values()].filter((s) => s === 'delivered').length;
	const failed = ITEMS - delivered;
	assert.equal(bucket.stats.accepted, delivered, 'receiver and node agree on what was delivered');
	assert.equal(rx.requests.length, bucket.stats.accepted + bucket.stats.throttled);
	console.log(
		`# rate-limit (${adaptivePacing ? 'adaptive' : 'fixed'}): ${ITEMS} items at ${RATE}/s: ${delivered} delivered, ${failed} failed, ${bucket.stats.throttled} × 429, ${wallMs} ms (ideal ${Math.round(((ITEMS - RATE) / RATE) * 1000)} ms)`,
	);
	return { delivered, failed };
}

describe(`reliability: ${ITEMS.toLocaleString('en')} items to a receiver allowing ${RATE} requests/s`, () => {
	it('adaptive pacing: every item delivered, each exactly once, counted', async () => {
		const { delivered } = await run(true);
		assert.equal(delivered, ITEMS);
	});

	it('fixed concurrency: every item still ends delivered or on the error output, counted, none lost', async () => {
		await run(false);
	});
});
