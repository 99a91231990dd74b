/**
 * Reliability: a receiver that changes what it is mid-run (issue 19). 1,500 items go through the KlickTipp
 * Outbound node, run by n8n-core's WorkflowExecute (real this.helpers.httpRequest), to a real local receiver that is
 * healthy, then resets every connection, then hangs, then answers 503 to everything (3 s of outage), is back
 * for a second, then flaps (a seeded half of
 * the answers 503), then is healthy again, phase by phase on the wall clock. With a short Outage Budget the node
 * parks what meets an outage past the budget and delivers the rest.
 *
 * Checked per item: it ends exactly once, `delivered` on the main output or `failed` on the error output, and a
 * failed one is replayable (its request before authentication with its webhook-id); the receiver accepted (200)
 * every delivered item exactly once and no parked or failed one; a parked item's attempts equal the requests the
 * receiver got for it.
 */
import { after, before, describe, it } from 'node:test';
import type { INodeExecutionData } from 'n8n-workflow';
import assert from 'node:assert/strict';

import { runOutbound, type RunResult } from '../helpers/execute-harness';
import { keyOf, startReceiver, type Fault, type Receiver } from '../helpers/receiver';
import { hashUnit } from './helpers';

/** Execution A (Outage Budget 5 s) rides out the 3-second outage; execution B starts in it with a 1-second budget. */
const ITEMS_A = 1200;
const ITEMS_B = 300;
const ITEMS = ITEMS_A + ITEMS_B;
const SEED = 1919;
type Phase = { name: string; ms: number; answer: (key: string, n: number) => Fault | undefined };
/** Healthy answers are a little slow, so the run lasts through the phases. */
const healthy = (): Fault => ({ delayMs: 20, then: { status: 200 } });
const PHASES: Phase[] = [
	{ name: 'healthy', ms: 1500, answer: healthy },
	{ name: 'reset', ms: 1000, answer: () => ({ reset: true }) },
	{ name: 'hanging', ms: 1000, answer: () => ({ delayMs: 10_000 }) },
	{ name: '503', ms: 1000, answer: () => ({ status: 503, body: 'down' }) },
	{ name: 'back', ms: 1000, answer: healthy },
	{ name: 'flapping', ms: 2500, answer: (key, n) => (hashUnit(SEED, `${key}#${n}`) < 0.5 ? { status: 503, body: 'flap' } : healthy()) },
	{ name: 'healthy again', ms: Infinity, answer: healthy },
];

function record(item: INodeExecutionData): Record<string, unknown> {
	const error = item.json.error;
	return error && typeof error === 'object' ? (error as Record<string, unknown>) : item.json;
}

describe(`reliability: ${ITEMS.toLocaleString('en')} items to a receiver that goes down, hangs, fails and flaps mid-run`, () => {
	let rx: Receiver;
	let results: Array<{ result: RunResult; offset: number }> = [];
	const accepted = new Map<string, number>();
	const phaseOf = (at: number) => {
		let t = start;
		for (const phase of PHASES) {
			if (at < t + phase.ms) return phase;
			t += phase.ms;
		}
		return PHASES[PHASES.length - 1];
	};
	let start = 0;
	const seenPhases = new Set<string>();

	before(async () => {
		rx = await startReceiver((req, n) => {
			// The phases start with the first request (planning 1,500 items takes a while on a loaded machine).
			if (start === 0) start = Date.now();
			const phase = phaseOf(Date.now());
			seenPhases.add(phase.name);
			const key = keyOf(req);
			const answer = phase.answer(key, n);
			const ok = answer && 'then' in answer && answer.then && 'status' in answer.then && answer.then.status === 200;
			if (ok) accepted.set(key, (accepted.get(key) ?? 0) + 1);
			return answer;
		});
		const run = async (from: number, count: number, outageBudgetSeconds: number) =>
			await runOutbound({
				items: Array.from({ length: count }, (_, i) => ({ event: 'contactData', id: `mix-${from + i}`, contact: { id: String(from + i), email: `m${from + i}@example.de` } })),
				parameters: {
					operation: 'send',
					outboundName: 'Mix',
					url: `${rx.url}/hook`,
					fields: { field: [{ value: '={{ $json.id }}', parameterName: 'id', defaultValue: '' }] },
					options: { allowPrivateTargets: true, concurrency: 20, retryDelay: 50, timeout: 500, outageBudgetSeconds },
				},
				onError: 'continueErrorOutput',
			});
		const a = run(0, ITEMS_A, 5);
		// B starts one second into the outage (the receiver resets from 1.5 s after A's first request).
		while (start === 0 || Date.now() < start + 2500) await new Promise((r) => setTimeout(r, 50));
		const [ra, rb] = await Promise.all([a, run(ITEMS_A, ITEMS_B, 1)]);
		results = [
			{ result: ra, offset: 0 },
			{ result: rb, offset: ITEMS_A },
		];
	});
	after(async () => {
		await rx?.close();
	});

	it('every item ends exactly once, delivered or failed and replayable; the receiver accepted each delivered one exactly once', () => {
		const seen = new Set<number>();
		let delivered = 0;
		let parked = 0;
		let failed = 0;
		const hits = new Map<string, number>();
		for (const r of rx.requests) hits.set(keyOf(r), (hits.get(keyOf(r)) ?? 0) + 1);
		for (const { result, offset } of results) {
			assert.equal(result.error, undefined, String(result.error?.message));
			for (const [output, items] of [['main', result.main], ['error', result.errorOutput]] as const) {
				for (const item of items) {
					const index = offset + (item.pairedItem as { item: number }).item;
					assert.ok(!seen.has(index), `item ${index} twice`);
					seen.add(index);
					const json = record(item);
					const id = `mix-${index}`;
					if (output === 'main') {
						assert.equal(json.status, 'delivered');
						assert.equal(accepted.get(id), 1, `${id} delivered: accepted ${accepted.get(id)} time(s)`);
						delivered++;
					} else {
						failed++;
						assert.equal(json.status, 'failed');
						assert.equal(accepted.get(id) ?? 0, 0, `${id} failed but was accepted`);
						const request = json.request as { webhookId?: string; body?: string };
						assert.ok(request.webhookId && JSON.parse(String(request.body)).id === id, `${id} replayable`);
						assert.equal(json.attempts, hits.get(id) ?? 0, `${id}: attempts = requests the receiver got`);
						if (/^Receiver down: circuit open/.test(String(json.reason))) parked++;
					}
				}
			}
		}
		assert.equal(results[0].result.errorOutput.length, 0, 'A rode out an outage shorter than its budget: everything delivered');
		assert.ok(parked > 0, 'B met the outage past its budget: parked');
		assert.equal(seen.size, ITEMS);
		assert.ok(delivered > 0);
		console.log(
			`# receiver-mix: ${ITEMS} items, ${rx.requests.length} requests, ${delivered} delivered, ${failed} failed (${parked} parked), phases seen: ${[...seenPhases].join(', ')}, ${Date.now() - start} ms`,
		);
	});
});
