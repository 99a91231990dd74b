import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { DedupeStore, dedupeScope } from '../../nodes/core/inbound/dedupe';

describe('inbound dedupe store', () => {
	it('reports a repeat within the window, not after it', () => {
		let now = 1_000_000;
		const store = new DedupeStore(100, () => now);
		assert.equal(store.seen('wf:n', 'e1', 60), false);
		now += 59_999;
		assert.equal(store.seen('wf:n', 'e1', 60), true);
		now += 2;
		assert.equal(store.seen('wf:n', 'e1', 60), false, 'expired: recorded again');
		assert.equal(store.seen('wf:n', 'e1', 60), true);
	});
	it('keeps scopes apart and clears one scope', () => {
		const store = new DedupeStore(100, () => 0);
		store.seen('a', 'e', 10);
		assert.equal(store.seen('b', 'e', 10), false);
		store.clear('a');
		assert.equal(store.seen('a', 'e', 10), false);
		assert.equal(store.seen('b', 'e', 10), true);
	});
	it('a window of 0 (or nonsense) disables it and stores nothing', () => {
		const store = new DedupeStore(100, () => 0);
		for (const w of [0, -5, NaN]) {
			assert.equal(store.seen('s', 'e', w), false);
			assert.equal(store.seen('s', 'e', w), false);
		}
		assert.equal(store.size, 0);
	});
	it('is bounded: expired entries go first, then the oldest', () => {
		let now = 0;
		const store = new DedupeStore(3, () => now);
		store.seen('s', 'short', 1);
		store.seen('s', 'a', 100);
		store.seen('s', 'b', 100);
		now = 2000;
		store.seen('s', 'c', 100);
		assert.equal(store.size, 3);
		assert.equal(store.seen('s', 'a', 100), true);
		store.seen('s', 'd', 100);
		assert.equal(store.size, 3);
		assert.equal(store.seen('s', 'b', 100), true, 'b is still there');
		assert.equal(store.seen('s', 'a', 100), false, 'a, the oldest recorded, was evicted');
	});
	it('scopes per workflow and node, test webhooks apart', () => {
		assert.equal(dedupeScope('wf1', 'node1', false), 'wf1:node1');
		assert.equal(dedupeScope('wf1', 'node1', true), 'wf1:node1:test');
		assert.equal(dedupeScope(undefined, 'n', false), '__UNSAVED__:n');
	});
});
