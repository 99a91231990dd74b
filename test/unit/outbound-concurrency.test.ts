import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { mapConcurrent } from '../../nodes/core/outbound/concurrency';

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
