import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { mapConcurrent } from '../../nodes/core/outbound/concurrency';
import { deliver, paceOutcome } from '../../nodes/core/outbound/deliver';
import type { DeliveryDeps, WireRequest, WireResponse } from '../../nodes/core/outbound/deliver';
import { encodeRequest } from '../../nodes/core/outbound/encoding';
import { authorize, replayRequest } from '../../nodes/core/outbound/auth';
import { HostPacer, Pacers } from '../../nodes/core/outbound/pacer';
import type { PaceTicket } from '../../nodes/core/outbound/pacer';
import { DEFAULT_RETRY_POLICY } from '../../nodes/core/outbound/retry';
import { VirtualClock } from '../helpers/virtual-clock';

const OPTIONS = { maxConcurrency: 8, maxPauseMs: 60_000 };

/** Acquires without awaiting; `got` fills when the slot is granted. */
function take(pacer: HostPacer) {
	const state: { ticket?: PaceTicket } = {};
	void pacer.acquire().then((t) => (state.ticket = t));
	return state;
}

describe('outbound pacer: pause', () => {
	it('a 429 with Retry-After pauses ALL requests to the host, not only the item that got it', async () => {
		const clock = new VirtualClock();
		const pacers = new Pacers({ maxConcurrency: 4, maxPauseMs: 60_000 }, clock);
		const host = pacers.host('https://crm.example.com/a');
		const first = take(host);
		const second = take(host);
		await clock.settle();
		assert.ok(first.ticket && second.ticket, 'both start at once (window 4)');
		host.release(first.ticket!, { kind: 'throttled', pauseMs: 1000 });
		// A different item (other path, same host) asks for a slot: it must wait for the pause.
		const other = take(pacers.host('https://crm.example.com/b?id=2'));
		await clock.advance(999);
		assert.equal(other.ticket, undefined, 'another item to the same host is paused too');
		await clock.advance(1);
		assert.ok(other.ticket, 'released when the pause ends');
	});

	it('the pause is per host: another host keeps going', async () => {
		const clock = new VirtualClock();
		const pacers = new Pacers(OPTIONS, clock);
		const a = pacers.host('https://a.example.com/');
		const t = take(a);
		await clock.settle();
		a.release(t.ticket!, { kind: 'throttled', pauseMs: 5000 });
		const b = take(pacers.host('https://b.example.com/'));
		const a2 = take(pacers.host('https://A.example.com/x'));
		await clock.settle();
		assert.ok(b.ticket, 'other host not paused');
		assert.equal(a2.ticket, undefined, 'host names compare case-insensitively');
		assert.notEqual(pacers.host('https://a.example.com:8443/'), a, 'port is part of the host');
	});

	it('a later, longer Retry-After extends the pause; a shorter one does not shorten it', async () => {
		const clock = new VirtualClock();
		const host = new HostPacer(OPTIONS, clock);
		const [x, y] = [take(host), take(host)];
		await clock.settle();
		host.release(x.ticket!, { kind: 'throttled', pauseMs: 3000 });
		host.release(y.ticket!, { kind: 'throttled', pauseMs: 1000 });
		assert.equal(host.pauseUntil, clock.now() + 3000);
		const z = take(host);
		await clock.advance(2999);
		assert.equal(z.ticket, undefined);
		await clock.advance(1);
		assert.ok(z.ticket);
	});

	it('one pause per burst: answers of requests already in flight do not push it out; a new burst starts a new one', async () => {
		const clock = new VirtualClock();
		const host = new HostPacer({ maxConcurrency: 4, maxPauseMs: 60_000 }, clock);
		const [a, b, c] = [take(host), take(host), take(host)];
		await clock.settle();
		host.release(a.ticket!, { kind: 'throttled', pauseMs: 1000 });
		const start = clock.now();
		await clock.advance(100);
		host.release(b.ticket!, { kind: 'throttled', pauseMs: 1000 });
		assert.equal(host.pauseUntil, start + 1000, 'b was in flight when the pause began: same burst, same pause');
		host.release(c.ticket!, { kind: 'throttled', pauseMs: 3000 });
		assert.equal(host.pauseUntil, start + 3000, 'a longer Retry-After of the same burst lengthens the pause');
		const d = take(host);
		await clock.advanceTo(start + 2999);
		assert.equal(d.ticket, undefined);
		await clock.advanceTo(start + 3000);
		assert.ok(d.ticket);
		await clock.advance(50);
		host.release(d.ticket!, { kind: 'throttled', pauseMs: 1000 });
		assert.equal(host.pauseUntil, clock.now() + 1000, 'a request sent after the pause began starts a new pause');
	});

	it('the pause is capped at maxPauseMs; a 429 without Retry-After or with 0 does not pause', async () => {
		const clock = new VirtualClock();
		const host = new HostPacer({ maxConcurrency: 4, maxPauseMs: 2000 }, clock);
		const [a, b, c] = [take(host), take(host), take(host)];
		await clock.settle();
		host.release(a.ticket!, { kind: 'throttled' });
		host.release(b.ticket!, { kind: 'throttled', pauseMs: 0 });
		assert.ok(host.pauseUntil <= clock.now(), 'no pause without a Retry-After');
		host.release(c.ticket!, { kind: 'throttled', pauseMs: 3_600_000 });
		assert.equal(host.pauseUntil, clock.now() + 2000);
		assert.equal(clock.pendingTimers, 0, 'no timer while nobody waits');
	});

	it('Retry-After as seconds and as an HTTP date both become the pause', () => {
		const now = Date.parse('2026-03-01T10:00:00Z');
		assert.deepEqual(paceOutcome({ statusCode: 429, headers: { 'retry-after': '7' }, body: '' }, now), { kind: 'throttled', pauseMs: 7000 });
		assert.deepEqual(paceOutcome({ statusCode: 503, headers: { 'Retry-After': 'Sun, 01 Mar 2026 10:00:12 GMT' }, body: '' }, now), {
			kind: 'throttled',
			pauseMs: 12_000,
		});
		assert.deepEqual(paceOutcome({ statusCode: 429, headers: { 'retry-after': 'soon' }, body: '' }, now), { kind: 'throttled', pauseMs: undefined });
		assert.deepEqual(paceOutcome({ statusCode: 500, headers: { 'retry-after': '7' }, body: '' }, now), { kind: 'neutral' }, '500 is not a throttle');
		assert.deepEqual(paceOutcome({ statusCode: 204, headers: {}, body: '' }, now), { kind: 'success' });
	});
});

describe('outbound pacer: AIMD window', () => {
	it('starts at the maximum, halves once per burst of congestion, never below 1', async () => {
		const clock = new VirtualClock();
		const host = new HostPacer(OPTIONS, clock);
		assert.equal(host.limit, 8);
		const burst = Array.from({ length: 8 }, () => take(host));
		await clock.settle();
		assert.ok(burst.every((b) => b.ticket), 'all 8 start at once');
		const ninth = take(host);
		await clock.settle();
		assert.equal(ninth.ticket, undefined, 'the window bounds requests in flight');
		host.release(burst[0].ticket!, { kind: 'throttled' });
		assert.equal(host.limit, 4);
		// The other requests of the same burst were sent before the decrease: they do not decrease again.
		for (const b of burst.slice(1, 4)) host.release(b.ticket!, { kind: 'throttled' });
		assert.equal(host.limit, 4, 'one decrease per burst');
		await clock.settle();
		assert.equal(ninth.ticket, undefined, 'still 4 in flight, window 4');
		host.release(burst[4].ticket!, { kind: 'timeout' });
		assert.equal(host.limit, 4, 'a timeout of an old request is part of the same burst');
		await clock.settle();
		assert.ok(ninth.ticket, 'sent after the decrease, once fewer than 4 are in flight');
		host.release(ninth.ticket!, { kind: 'timeout' });
		assert.equal(host.limit, 2, 'a request sent after the decrease can decrease again (timeout)');
		for (const b of burst.slice(5)) host.release(b.ticket!, { kind: 'neutral' });
		assert.equal(host.limit, 2, 'neutral outcomes do not change the window');
		for (let i = 0; i < 3; i++) {
			const t = take(host);
			await clock.settle();
			host.release(t.ticket!, { kind: 'throttled' });
		}
		assert.equal(host.limit, 1, 'never below 1');
	});

	it('increases by about one per window of successes, never above the maximum', async () => {
		const clock = new VirtualClock();
		const host = new HostPacer({ maxConcurrency: 4, maxPauseMs: 1000 }, clock);
		const t0 = take(host);
		await clock.settle();
		host.release(t0.ticket!, { kind: 'throttled' });
		const t1 = take(host);
		await clock.settle();
		host.release(t1.ticket!, { kind: 'throttled' });
		const t2 = take(host);
		await clock.settle();
		host.release(t2.ticket!, { kind: 'throttled' });
		assert.equal(host.limit, 1);
		const limits: number[] = [];
		for (let i = 0; i < 12; i++) {
			const t = take(host);
			await clock.settle();
			host.release(t.ticket!, { kind: 'success' });
			limits.push(host.limit);
		}
		// +1/window per success: 1 → 2 → 2.5 → 2.9 → 3.24 → 3.55 → 3.84 → 4.1, capped at 4.
		assert.deepEqual(limits, [2, 2, 2, 3, 3, 3, 4, 4, 4, 4, 4, 4]);
	});

	it('neutral outcomes (4xx, 500, connection errors) leave the window alone', async () => {
		const clock = new VirtualClock();
		const host = new HostPacer(OPTIONS, clock);
		for (let i = 0; i < 5; i++) {
			const t = take(host);
			await clock.settle();
			host.release(t.ticket!, { kind: 'neutral' });
		}
		assert.equal(host.limit, 8);
	});

	it('lets waiting requests go first come, first served', async () => {
		const clock = new VirtualClock();
		const host = new HostPacer({ maxConcurrency: 1, maxPauseMs: 1000 }, clock);
		const order: number[] = [];
		const first = take(host);
		await clock.settle();
		const waiters = [1, 2, 3].map((n) => host.acquire().then((t) => (order.push(n), t)));
		host.release(first.ticket!, { kind: 'success' });
		for (const w of waiters) host.release(await w, { kind: 'success' });
		assert.deepEqual(order, [1, 2, 3]);
	});
});

/** A receiver on the virtual clock: token bucket of `rate` req/s (capacity = rate), fixed latency, 429 beyond. */
function tokenBucketDeps(clock: VirtualClock, rate: number, latencyMs: number, pacers?: Pacers) {
	let tokens = rate;
	let last = clock.now();
	let inFlight = 0;
	const stats = { ok: 0, throttled: 0, maxInFlight: 0, order: [] as number[] };
	const deps: DeliveryDeps = {
		send: async (req: WireRequest): Promise<WireResponse> => {
			inFlight++;
			stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
			await clock.sleep(latencyMs / 2);
			const now = clock.now();
			tokens = Math.min(rate, tokens + ((now - last) * rate) / 1000);
			last = now;
			let response: WireResponse;
			if (tokens >= 1) {
				tokens -= 1;
				stats.ok++;
				stats.order.push(Number(new URL(req.url).searchParams.get('id')));
				response = { statusCode: 200, headers: {}, body: '' };
			} else {
				stats.throttled++;
				const wait = Math.max(1, Math.ceil(((1 - tokens) * 1000) / rate / 1000));
				response = { statusCode: 429, headers: { 'retry-after': String(wait) }, body: 'slow down' };
			}
			await clock.sleep(latencyMs / 2);
			inFlight--;
			return response;
		},
		sleep: clock.sleep,
		random: () => 0.5,
		now: clock.now,
		checkTarget: async () => ({ ok: true, addresses: [] }),
		pacers,
	};
	return { deps, stats };
}

async function runBatch(paced: boolean, items: number, rate: number, concurrency = 16) {
	const clock = new VirtualClock();
	const pacers = paced ? new Pacers({ maxConcurrency: concurrency, maxPauseMs: 60_000 }, clock) : undefined;
	const { deps, stats } = tokenBucketDeps(clock, rate, 20, pacers);
	const options = { policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 5 }, timeoutMs: 10_000, maxRedirects: 0 };
	const ids = Array.from({ length: items }, (_, i) => i);
	const started = clock.now();
	const results = await clock.runUntil(
		mapConcurrent(ids, concurrency, async (id) => ({
			id,
			result: await deliver(authorize(replayRequest(encodeRequest('POST', 'json', `https://crm.example.com/hook?id=${id}`, [['id', String(id)]]), {}, `msg_${id}`, 'none'), undefined), options, deps),
		})),
	);
	return { results, stats, wallMs: clock.now() - started };
}

describe('outbound pacer: a rate-limited receiver on a virtual clock', () => {
	it('paced: every item delivered, output in input order, close to the ideal time, few 429s', async () => {
		const { results, stats, wallMs } = await runBatch(true, 1000, 100);
		assert.deepEqual(
			results.map((r) => r.id),
			results.map((_, i) => i),
			'output keeps the input order',
		);
		assert.equal(results.filter((r) => r.result.status === 'delivered').length, 1000);
		const ideal = ((1000 - 100) / 100) * 1000; // the bucket starts full
		assert.ok(wallMs <= ideal * 1.25, `wall ${wallMs} ms vs ideal ${ideal} ms`);
		assert.ok(stats.throttled < 150, `${stats.throttled} answers of 429`);
		assert.ok(stats.maxInFlight <= 16);
	});

	it('unpaced (fixed concurrency, each item on its own clock) loses items where paced loses none', async () => {
		const paced = await runBatch(true, 1000, 100);
		const fixed = await runBatch(false, 1000, 100);
		const failed = (r: typeof paced) => r.results.filter((x) => x.result.status !== 'delivered').length;
		assert.equal(failed(paced), 0);
		assert.ok(failed(fixed) > 0, 'the same receiver makes fixed concurrency give up on items');
	});
});
