import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { contactKey, formatRemaining, pruneWindows, recordDelivery, windowRemainingMs } from '../../nodes/core/outbound/once-per-contact';
import type { OncePerContactState } from '../../nodes/core/outbound/once-per-contact';
import { mapConcurrent } from '../../nodes/core/outbound/concurrency';

const H = 3_600_000;

describe('once per contact window', () => {
	it('keys by contact ID, else lower-cased email', () => {
		assert.equal(contactKey('4711', 'A@B.de'), 'id:4711');
		assert.equal(contactKey('', ' A@B.de'), 'email:a@b.de');
		assert.equal(contactKey('', ''), '');
	});

	it('skips within the window, allows after it, across "executions" sharing the plain object', () => {
		const state: OncePerContactState = {};
		const t0 = Date.UTC(2026, 0, 1);
		assert.equal(windowRemainingMs(state, 'id:1', t0, 6 * H), 0);
		recordDelivery(state, 'id:1', t0);
		// the object survives JSON round trips (n8n persists static data as JSON)
		const persisted = JSON.parse(JSON.stringify(state)) as OncePerContactState;
		assert.equal(windowRemainingMs(persisted, 'id:1', t0 + H, 6 * H), 5 * H);
		assert.equal(windowRemainingMs(persisted, 'id:2', t0 + H, 6 * H), 0);
		assert.equal(windowRemainingMs(persisted, 'id:1', t0 + 6 * H, 6 * H), 0);
		assert.equal(windowRemainingMs(persisted, 'id:1', t0 + H, 0), 0, 'window 0 = off');
		assert.equal(formatRemaining(5 * H), '5h 0m');
		assert.equal(formatRemaining(90_000), '2m');
	});

	it('prunes expired entries and caps the size', () => {
		const state: OncePerContactState = {};
		for (let i = 0; i < 10; i++) recordDelivery(state, `id:${i}`, i * 1000);
		assert.equal(pruneWindows(state, 5500, 1000), 5); // 0..4 have expired (at + 1000 <= 5500)
		assert.deepEqual(Object.keys(state.lastDelivered!).sort(), ['id:5', 'id:6', 'id:7', 'id:8', 'id:9']);
		assert.equal(pruneWindows(state, 5500, 1e9, 2), 3);
		assert.deepEqual(Object.keys(state.lastDelivered!).sort(), ['id:8', 'id:9']);
	});
});

describe('mapConcurrent', () => {
	it('keeps order and never exceeds the limit', async () => {
		let running = 0;
		let peak = 0;
		const items = Array.from({ length: 50 }, (_, i) => i);
		const out = await mapConcurrent(items, 7, async (n) => {
			running++;
			peak = Math.max(peak, running);
			await new Promise((r) => setTimeout(r, (n * 7) % 5));
			running--;
			return n * 2;
		});
		assert.deepEqual(out, items.map((n) => n * 2));
		assert.equal(peak, 7);
	});

	it('handles empty input and limits above the item count', async () => {
		assert.deepEqual(await mapConcurrent([], 16, async () => 1), []);
		assert.deepEqual(await mapConcurrent([1, 2], 100, async (n) => n), [1, 2]);
	});

	it('rejects with the first error and starts nothing after it', async () => {
		const started: number[] = [];
		await assert.rejects(
			mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (n) => {
				started.push(n);
				await new Promise((r) => setTimeout(r, 1));
				if (n === 1) throw new Error('boom');
				return n;
			}),
			/boom/,
		);
		assert.ok(started.length <= 3, `started ${started.join(',')}`);
	});
});
