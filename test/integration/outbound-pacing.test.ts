/**
 * Pacing through n8n-core's real execution: the KlickTipp Outbound node sends to a real receiver on 127.0.0.1 that
 * allows R requests per second (token bucket, 20 ms latency) and answers 429 + Retry-After beyond. With Adaptive
 * Pacing (the default) a 429 pauses every request to the host until Retry-After; with it off, each item retries
 * on its own clock while the others keep sending.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { runOutbound, type RunResult } from '../helpers/execute-harness';
import { startReceiver, tokenBucket, type Receiver, type TokenBucketStats } from '../helpers/receiver';

const receivers: Receiver[] = [];
after(async () => {
	for (const rx of receivers) await rx.close();
});

async function send(items: number, rate: number, options: Record<string, unknown>, retryAfter: 'seconds' | 'date' = 'seconds') {
	const bucket = tokenBucket({ rate, latencyMs: 20, retryAfter });
	const rx = await startReceiver(bucket.script);
	receivers.push(rx);
	const ids = Array.from({ length: items }, (_, i) => `p-${i}`);
	const started = Date.now();
	const res = await runOutbound({
		items: ids.map((id, i) => ({ event: 'contactData', id, contact: { id: String(i), email: `c${i}@example.de` } })),
		parameters: {
			operation: 'send',
			outboundName: 'Paced',
			url: `${rx.url}/hook`,
			fields: { field: [{ value: '={{ $json.id }}', parameterName: 'id', defaultValue: '' }] },
			options: { allowPrivateTargets: true, retryDelay: 100, ...options },
		},
		onError: 'continueErrorOutput',
	});
	const at = rx.requests.map((r) => r.at);
	// Sending time at the receiver (first → last request): the execution's wall time also holds n8n's start-up.
	return { res, rx, stats: bucket.stats, ids, wallMs: Date.now() - started, spanMs: at.length ? Math.max(...at) - Math.min(...at) : 0 };
}

/**
 * Requests that arrived while the client should have been paused. A burst of 429s (the answers to the requests in
 * flight when the bucket ran dry) is one pause, from its first 429: checked from 250 ms after that 429 was
 * answered (requests already on their way may still land; receiver and n8n share one event loop) to 100 ms
 * before its Retry-After ends.
 */
function arrivalsDuringPauses(rx: Receiver, stats: TokenBucketStats): number {
	const firsts: Array<{ answeredAt: number; pauseMs: number }> = [];
	for (const t of [...stats.throttles].sort((x, y) => x.answeredAt - y.answeredAt)) {
		const last = firsts[firsts.length - 1];
		if (!last || t.answeredAt >= last.answeredAt + last.pauseMs) firsts.push(t);
	}
	let inside = 0;
	for (const t of firsts) {
		inside += rx.requests.filter((r) => r.at > t.answeredAt + 250 && r.at < t.answeredAt + t.pauseMs - 100).length;
	}
	return inside;
}

function check(run: { res: RunResult; stats: TokenBucketStats; ids: string[] }) {
	const { res, stats, ids } = run;
	assert.equal(res.error, undefined, String(res.error?.message));
	assert.equal(res.main.length + res.errorOutput.length, ids.length, 'every item comes out');
	res.main.forEach((item, i) => assert.equal((item.pairedItem as { item: number }).item, i, 'output keeps the input order'));
	return {
		delivered: res.main.filter((i) => i.json.status === 'delivered').length,
		failed: res.errorOutput.length,
		duplicates: [...stats.acceptedByKey.values()].filter((n) => n > 1).length,
	};
}

describe('outbound pacing in n8n-core against a rate-limited receiver', () => {
	it('adaptive (default): every item delivered once, in order, and nothing arrives while the host is paused', async () => {
		const run = await send(200, 40, {});
		const { delivered, failed, duplicates } = check(run);
		assert.equal(delivered, 200);
		assert.equal(failed, 0);
		assert.equal(duplicates, 0);
		assert.ok(run.stats.throttled > 0, 'the receiver did rate-limit');
		assert.equal(arrivalsDuringPauses(run.rx, run.stats), 0, 'a 429 + Retry-After pauses all requests to the host');
		console.log(`# pacing adaptive: 200 items at 40/s: ${run.stats.throttled} × 429, sending ${run.spanMs} ms, execution ${run.wallMs} ms`);
	});

	it('Retry-After as an HTTP date pauses the host just the same', async () => {
		const run = await send(100, 40, {}, 'date');
		const { delivered } = check(run);
		assert.equal(delivered, 100);
		assert.ok(run.stats.throttled > 0);
		assert.equal(arrivalsDuringPauses(run.rx, run.stats), 0);
	});

	it('fixed concurrency (Adaptive Pacing off): every item still comes out, in order; each waits its own Retry-After', async () => {
		const run = await send(200, 40, { adaptivePacing: false });
		const { delivered, failed } = check(run);
		assert.equal(delivered + failed, 200);
		// Whether other items land inside a pause depends on timing (when every item in flight got its 429 at once,
		// none does), so it is reported, not asserted; the host-wide pause itself is asserted above and in the unit tests.
		const during = arrivalsDuringPauses(run.rx, run.stats);
		console.log(`# pacing fixed: 200 items at 40/s: ${run.stats.throttled} × 429, ${during} arrival(s) inside pauses, sending ${run.spanMs} ms, execution ${run.wallMs} ms`);
	});
});

/** The most requests a receiver that answers after `delayMs` had in flight: arrivals within one answer time overlap. */
function peakInFlight(arrivals: number[], delayMs: number): number {
	const at = [...arrivals].sort((a, b) => a - b);
	let peak = 0;
	for (let i = 0, j = 0; i < at.length; i++) {
		while (at[i] - at[j] >= delayMs) j++;
		peak = Math.max(peak, i - j + 1);
	}
	return peak;
}

describe('outbound hosts in n8n-core: shared by executions, circuit breaker', () => {
	it('Concurrency is the ceiling across executions: two executions at once never have more than 5 in flight at the receiver', async () => {
		const rx = await startReceiver(() => ({ delayMs: 60 }));
		receivers.push(rx);
		const run = (tag: string) =>
			runOutbound({
				items: Array.from({ length: 40 }, (_, i) => ({ event: 'contactData', id: `${tag}-${i}`, contact: { id: `${tag}${i}`, email: `${tag}${i}@example.de` } })),
				parameters: {
					operation: 'send',
					outboundName: 'Ceiling',
					url: `${rx.url}/hook`,
					fields: { field: [{ value: '={{ $json.id }}', parameterName: 'id', defaultValue: '' }] },
					options: { allowPrivateTargets: true, concurrency: 5 },
				},
			});
		const [a, b] = await Promise.all([run('a'), run('b')]);
		assert.equal(a.main.filter((i) => i.json.status === 'delivered').length + b.main.filter((i) => i.json.status === 'delivered').length, 80);
		const peak = peakInFlight(rx.requests.map((r) => r.at), 60);
		assert.ok(peak <= 5, `peak ${peak} in flight`);
		assert.ok(peak >= 4, `peak ${peak}: the window reached the ceiling`);
	});

	it('a receiver that refuses connections: after the outage budget every item leaves parked, replayable, with few requests', async () => {
		const rx = await startReceiver();
		const url = `${rx.url}/hook`;
		await rx.close();
		const started = Date.now();
		const res = await runOutbound({
			items: Array.from({ length: 100 }, (_, i) => ({ event: 'contactData', id: `d-${i}`, contact: { id: `d${i}`, email: `d${i}@example.de` } })),
			parameters: { operation: 'send', outboundName: 'Down', url, options: { allowPrivateTargets: true, outageBudgetSeconds: 2 } },
			onError: 'continueErrorOutput',
		});
		assert.equal(res.errorOutput.length, 100);
		const errors = res.errorOutput.map((i) => i.json.error as Record<string, unknown>);
		const parked = errors.filter((e) => /^Receiver down: circuit open .*\(parked: replay it with Redeliver\)$/.test(String(e.reason)));
		assert.ok(parked.length >= 85, `${parked.length} parked`);
		assert.ok(parked.every((e) => typeof e.nextAttemptAt === 'string' && typeof e.firstAttemptAt === 'string'));
		const attempts = errors.reduce((sum, e) => sum + Number(e.attempts), 0);
		assert.ok(attempts <= 60, `${attempts} attempts in all (5 per item would be 500)`);
		assert.ok(Date.now() - started < 15_000, `${Date.now() - started} ms`);
	});
});
