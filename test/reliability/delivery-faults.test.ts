/**
 * Reliability: fault injection on delivery. 10,000 items go through the KlickTipp Outbound node, run by n8n-core's
 * WorkflowExecute (real this.helpers.httpRequest), to a real local receiver that fails 20% of the requests it
 * gets — 5xx, 429 (with Retry-After), timeouts, connection resets — decided by a seeded hash of (item id,
 * attempt number), so every run is the same and the expected outcome of every single item can be computed.
 *
 * Checked per item: it ends exactly once, `delivered` on the main output or `failed` on the error output; its
 * `attempts` equals the number of requests the receiver recorded for its id (at-least-once: a repeat only
 * after a failed attempt, never more than maxAttempts, nothing after the success); and outcome and attempts are
 * exactly the ones the fault schedule predicts.
 */
import { after, before, describe, it } from 'node:test';
import type { INodeExecutionData } from 'n8n-workflow';
import assert from 'node:assert/strict';

import { runOutbound, type RunResult } from '../helpers/execute-harness';
import { keyOf, startReceiver, type Fault, type Receiver } from '../helpers/receiver';
import { hashUnit } from './helpers';

const SEED = 424242;
const ITEMS = Number(process.env.RELIABILITY_SENDS ?? 10_000);
const FAILURE_RATE = 0.2;
const MAX_ATTEMPTS = 3;
// Generous, so an answer that is only slow (a loaded CI machine) is not taken for an injected timeout.
const TIMEOUT_MS = 2000;

type FaultKind = '500' | '502' | '503' | '429' | 'timeout' | 'reset';
const KINDS: FaultKind[] = ['500', '502', '503', '429', 'timeout', 'reset'];

/** The fault for attempt `n` (1-based) of item `id`, or undefined for a 200. */
function faultFor(id: string, n: number): FaultKind | undefined {
	if (hashUnit(SEED, `${id}#${n}`) >= FAILURE_RATE) return undefined;
	return KINDS[Math.floor(hashUnit(SEED + 1, `${id}#${n}`) * KINDS.length)];
}

function answer(kind: FaultKind | undefined): Fault | undefined {
	switch (kind) {
		case undefined:
			return undefined;
		case 'timeout':
			return { delayMs: TIMEOUT_MS * 8 };
		case 'reset':
			return { reset: true };
		case '429':
			return { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' };
		default:
			return { status: Number(kind), body: `injected ${kind}` };
	}
}

/** What the schedule predicts: delivered after n attempts, or failed after MAX_ATTEMPTS. */
function predicted(id: string): { status: 'delivered' | 'failed'; attempts: number } {
	for (let n = 1; n <= MAX_ATTEMPTS; n++) if (faultFor(id, n) === undefined) return { status: 'delivered', attempts: n };
	return { status: 'failed', attempts: MAX_ATTEMPTS };
}

/** The delivery record of an output item: the item itself on the main output, its `error` on the error output. */
function record(item: INodeExecutionData): Record<string, unknown> {
	const error = item.json.error;
	return error && typeof error === 'object' ? (error as Record<string, unknown>) : item.json;
}

describe(`reliability: ${ITEMS.toLocaleString('en')} sends with ${FAILURE_RATE * 100}% injected failures`, () => {
	let rx: Receiver;
	let result: RunResult;
	let wallMs = 0;
	const ids = Array.from({ length: ITEMS }, (_, i) => `it-${String(i).padStart(5, '0')}`);
	const injected = new Map<string, number>();

	before(async () => {
		rx = await startReceiver((req, n) => {
			const kind = faultFor(keyOf(req), n);
			if (kind) injected.set(kind, (injected.get(kind) ?? 0) + 1);
			return answer(kind);
		});
		const started = Date.now();
		result = await runOutbound({
			items: ids.map((id, i) => ({ event: 'contactData', eventId: `ev-${id}`, id, contact: { id: String(i), email: `c${i}@example.de` } })),
			parameters: {
				operation: 'send',
				outboundName: 'Faults',
				url: `${rx.url}/hook`,
				fields: { field: [{ value: '={{ $json.id }}', parameterName: 'id', defaultValue: '' }] },
				options: {
					allowPrivateTargets: true,
					concurrency: 64,
					maxAttempts: MAX_ATTEMPTS,
					retryDelay: 2,
					maxRetryAfterSeconds: 0,
					timeout: TIMEOUT_MS,
					// The schedule predicts each item's attempts from its own faults: no breaker, no host rule
					// (receiver-mix.test.ts covers those). A fixed window: a receiver that drops a random tenth of
					// all requests whatever the load keeps a loss-driven window at a few requests (TCP's random-loss
					// problem; docs/outbound.md "Retries and pacing"), which would only make this test slow.
					outageBudgetSeconds: 0,
					adaptivePacing: false,
				},
			},
			onError: 'continueErrorOutput',
		});
		wallMs = Date.now() - started;
	});
	after(async () => {
		await rx?.close();
	});

	it('every item ends exactly once: delivered on the main output or failed on the error output', () => {
		assert.equal(result.error, undefined, String(result.error?.message));
		const seen = new Map<number, string>();
		for (const [output, items] of [['main', result.main], ['error', result.errorOutput]] as const) {
			for (const item of items) {
				const paired = item.pairedItem as { item: number } | undefined;
				assert.ok(paired && typeof paired.item === 'number', 'every item is paired to its input');
				assert.ok(!seen.has(paired.item), `item ${paired.item} appears twice (${seen.get(paired.item)} and ${output})`);
				seen.set(paired.item, output);
				if (output === 'main') assert.equal(item.json.status, 'delivered', JSON.stringify(item.json));
				else {
					const failed = record(item);
					assert.equal(failed.status, 'failed', JSON.stringify(item.json));
					assert.ok(typeof failed.reason === 'string' && failed.reason.length > 0, 'a failed item says why');
					assert.equal(item.json.id, ids[paired.item], 'n8n merged the input item (the contact to replay) into the error item');
				}
			}
		}
		assert.equal(seen.size, ITEMS, `${ITEMS - seen.size} item(s) missing`);
		assert.equal(result.main.length + result.errorOutput.length, ITEMS);
	});

	it('attempts per item = requests the receiver got for it; outcome and attempts exactly as the fault schedule predicts', () => {
		const hits = new Map<string, number>();
		for (const r of rx.requests) hits.set(keyOf(r), (hits.get(keyOf(r)) ?? 0) + 1);
		assert.equal(hits.size, ITEMS, 'the receiver saw every item');
		let delivered = 0;
		let failed = 0;
		let retries = 0;
		for (const item of [...result.main, ...result.errorOutput]) {
			const index = (item.pairedItem as { item: number }).item;
			const json = record(item);
			const id = ids[index];
			const body = JSON.parse(String((json.request as { body: string }).body)) as { id: string };
			assert.equal(body.id, id, 'the output item describes its own request');
			const attempts = json.attempts as number;
			const got = hits.get(id) ?? 0;
			assert.equal(got, attempts, `${id}: receiver got ${got} request(s), item reports ${attempts} attempt(s)`);
			assert.ok(attempts >= 1 && attempts <= MAX_ATTEMPTS, `${id}: ${attempts} attempts`);
			assert.deepEqual({ status: json.status, attempts }, predicted(id), id);
			if (json.status === 'delivered') delivered++;
			else failed++;
			retries += attempts - 1;
		}
		const expectedFailed = ids.filter((id) => predicted(id).status === 'failed').length;
		assert.equal(failed, expectedFailed);
		assert.ok(failed > 0 && delivered > 0, 'both outcomes occur');
		const total = rx.requests.length;
		const faults = [...injected.values()].reduce((a, b) => a + b, 0);
		const rate = faults / total;
		assert.ok(rate > 0.18 && rate < 0.22, `injected failure rate ${rate}`);
		for (const kind of KINDS) assert.ok((injected.get(kind) ?? 0) > 0, `no ${kind} injected`);
		console.log(
			`# delivery-faults: ${ITEMS} items, ${total} requests (${retries} retries), ${faults} injected failures (${(rate * 100).toFixed(1)}%: ${KINDS.map((k) => `${k} ${injected.get(k) ?? 0}`).join(', ')}), ${delivered} delivered, ${failed} failed, ${wallMs} ms`,
		);
	});

	it('failed items carry the cause; error-output items name the outbound and the last failure', () => {
		for (const item of result.errorOutput) {
			const failed = record(item);
			assert.match(String(failed.message), /^Outbound "Faults" failed/);
			const reason = String(failed.reason);
			assert.match(reason, new RegExp(`HTTP (500|502|503|429)|Timeout: no response within ${TIMEOUT_MS} ms|Network error`), reason);
			assert.match(reason, /after 3 attempts/);
		}
		for (const item of result.main) assert.equal(item.json.httpStatus, 200);
	});
});
