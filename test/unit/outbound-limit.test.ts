import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { AimdLimit, GradientLimit, INITIAL_LIMIT, MAX_LIMIT } from '../../nodes/core/outbound/limit';

/** Feeds `n` samples of `rtt` ms with the window fully used; returns the window after each. */
function feed(limit: GradientLimit | AimdLimit, n: number, rttMs: number, { dropped = false, used = true, start = 0 } = {}) {
	const values: number[] = [];
	for (let i = 0; i < n; i++) {
		limit.update({ rttMs, inFlight: used ? limit.value : 1, dropped, at: start + i * rttMs });
		values.push(limit.value);
	}
	return values;
}

describe('outbound limit: GradientLimit (latency-based)', () => {
	it('grows while latency stays at the baseline: slow start by half per round trip', () => {
		const limit = new GradientLimit();
		assert.equal(limit.value, INITIAL_LIMIT);
		feed(limit, INITIAL_LIMIT, 50);
		assert.equal(limit.value, 1.5 * INITIAL_LIMIT, 'one window of successes adds half');
		assert.equal(limit.baselineMs, 50);
	});

	it('never grows above MAX_LIMIT', () => {
		const limit = new GradientLimit();
		feed(limit, 5000, 50);
		assert.equal(limit.value, MAX_LIMIT);
	});

	it('never grows past the ceiling the sender reports (a size never tried), and a lower ceiling does not shrink it', () => {
		for (const limit of [new GradientLimit(), new AimdLimit()]) {
			for (let i = 0; i < 5000; i++) limit.update({ rttMs: 50, inFlight: limit.value, dropped: false, at: i * 50, ceiling: 100 });
			assert.equal(limit.value, 100, limit.constructor.name);
			for (let i = 0; i < 100; i++) limit.update({ rttMs: 50, inFlight: 40, dropped: false, at: 300_000 + i * 50, ceiling: 40 });
			assert.equal(limit.value, 100, `${limit.constructor.name}: a lower ceiling is the host's to enforce`);
		}
	});

	it('does not grow a window it does not use', () => {
		const limit = new GradientLimit();
		feed(limit, 100, 50, { used: false });
		assert.equal(limit.value, INITIAL_LIMIT);
	});

	it('shrinks when a round trip\'s answers average above 2x the baseline + 20 ms (queueing), in proportion, at most by half', () => {
		const limit = new GradientLimit(40);
		limit.update({ rttMs: 50, inFlight: 40, dropped: false, at: 0 }); // baseline 50 ms; slow start: 40.5
		for (let i = 0; i < 38; i++) limit.update({ rttMs: 192, inFlight: 40, dropped: false, at: 10_000 });
		assert.equal(limit.value, 40, 'no decision before a window\'s worth of answers, no growth either');
		limit.update({ rttMs: 192, inFlight: 40, dropped: false, at: 10_000 });
		const mean = (50 + 39 * 192) / 40;
		assert.equal(limit.value, Math.floor(40.5 * (2 * 50 + 20) / mean), `in proportion: (2*50 + 20) / ${mean}`);
		const mid = limit.value;
		for (let i = 0; i < mid + 1; i++) limit.update({ rttMs: 1000, inFlight: mid, dropped: false, at: 20_000 });
		assert.equal(limit.value, Math.floor((40.5 * (2 * 50 + 20)) / mean / 2), 'capped at half');
	});

	it('one slow answer among a round of fast ones is jitter, not queueing', () => {
		const limit = new GradientLimit(40);
		feed(limit, 10, 50);
		const before = limit.value;
		for (let i = 0; i < before - 1; i++) limit.update({ rttMs: 60, inFlight: before, dropped: false, at: 10_000 });
		limit.update({ rttMs: 400, inFlight: before, dropped: false, at: 10_000 });
		assert.ok(limit.value >= before, `mean ${(60 * (before - 1) + 400) / before} ms is within 120 ms: ${limit.value}`);
	});

	it('latency within the tolerance is not queueing', () => {
		const limit = new GradientLimit(40);
		feed(limit, 10, 50);
		const before = limit.value;
		feed(limit, before, 119, { start: 10_000 });
		assert.ok(limit.value >= before);
	});

	it('one latency decrease per round trip: the answers to requests sent before the cut are one signal', () => {
		const limit = new GradientLimit(40);
		feed(limit, 10, 50);
		const first = limit.value;
		for (let i = 0; i < first; i++) limit.update({ rttMs: 150, inFlight: first, dropped: false, at: 10_000 });
		const once = limit.value;
		assert.ok(once < first);
		for (let i = 0; i < once; i++) limit.update({ rttMs: 150, inFlight: once, dropped: false, at: 10_010 });
		assert.equal(limit.value, once, 'a second slow round within one round trip of the cut');
		for (let i = 0; i < once; i++) limit.update({ rttMs: 150, inFlight: once, dropped: false, at: 10_200 });
		assert.ok(limit.value < once, 'a slow round a round trip later cuts again');
	});

	it('a drop (429/503/timeout) cuts to 3/4 of what was in flight, and ends slow start', () => {
		const limit = new GradientLimit(64);
		limit.update({ rttMs: 1, inFlight: 33, dropped: true, at: 0 });
		assert.equal(limit.value, Math.floor(33 * 0.75));
		const after = limit.value;
		feed(limit, after, 50, { start: 100 });
		assert.ok(limit.value <= after + 2, 'no doubling after a drop: about +1 (log10 of the window) per round trip');
	});

	it('a fast rejection is no baseline sample', () => {
		const limit = new GradientLimit();
		limit.update({ rttMs: 1, inFlight: 10, dropped: true, at: 0 });
		assert.equal(limit.baselineMs, Infinity);
	});

	it('creeps near the window of the last drop (plateau), grows normally away from it', () => {
		const limit = new GradientLimit(64);
		limit.update({ rttMs: 1, inFlight: 9, dropped: true, at: 0 }); // dropWindow 9, window 6.75
		const t = (n: number) => feed(limit, n, 50, { start: 1000 });
		t(6); // +1 per round trip: 6.75 → ~7.7
		t(8); // → ~8.7: within 1 of 9, creeping
		const at = limit.value;
		t(8);
		assert.equal(limit.value, at, 'one round trip near the drop window adds 1/8');
	});

	it('the baseline follows a receiver that got slower (two epochs)', () => {
		const limit = new GradientLimit();
		feed(limit, 10, 20);
		feed(limit, 1200, 60, { used: false, start: 1000 });
		assert.equal(limit.baselineMs, 60);
	});
});

describe('outbound limit: AimdLimit (loss-based)', () => {
	it('+1 per window of successes, halved on a drop, never below 1', () => {
		const limit = new AimdLimit(4);
		feed(limit, 4, 50);
		assert.equal(limit.value, 4, '4 + 1/4 + … < 5 after 4 successes at 4.x');
		feed(limit, 2, 50);
		assert.equal(limit.value, 5);
		limit.update({ rttMs: 1, inFlight: 5, dropped: true, at: 0 });
		assert.equal(limit.value, 2);
		for (let i = 0; i < 5; i++) limit.update({ rttMs: 1, inFlight: 1, dropped: true, at: 0 });
		assert.equal(limit.value, 1);
	});
});
