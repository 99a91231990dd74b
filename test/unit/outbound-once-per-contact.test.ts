import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { contactKey, formatRemaining, pruneWindows, recordDelivery, windowRemainingMs } from '../../nodes/core/outbound/once-per-contact';
import type { OncePerContactState } from '../../nodes/core/outbound/once-per-contact';

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
