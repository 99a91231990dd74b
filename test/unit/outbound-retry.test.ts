import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { backoffDelay, decideRetry, DEFAULT_RETRY_POLICY, isRetryableStatus, parseRetryAfter } from '../../nodes/core/outbound/retry';

const policy = { ...DEFAULT_RETRY_POLICY, maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 8000, maxRetryAfterMs: 30_000 };
const now = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('outbound retry policy', () => {
	it('retries network errors, 408, 425, 429, 5xx; not other statuses', () => {
		for (const s of [408, 425, 429, 500, 502, 503, 504, 599]) assert.equal(isRetryableStatus(s), true, String(s));
		for (const s of [200, 301, 400, 401, 403, 404, 409, 410, 422, 600]) assert.equal(isRetryableStatus(s), false, String(s));
		assert.deepEqual(decideRetry({ kind: 'response', status: 404 }, 1, policy, () => 0.5, now), { retry: false });
		assert.equal(decideRetry({ kind: 'networkError' }, 1, policy, () => 0.5, now).retry, true);
	});

	it('exponential backoff with full jitter, capped', () => {
		assert.equal(backoffDelay(1, policy, () => 1), 1000);
		assert.equal(backoffDelay(2, policy, () => 1), 2000);
		assert.equal(backoffDelay(3, policy, () => 0.5), 2000);
		assert.equal(backoffDelay(10, policy, () => 1), 8000);
		assert.equal(backoffDelay(3, policy, () => 0), 0);
		// the whole range [0, ceiling) is reachable
		const seen = new Set<number>();
		for (let i = 0; i < 100; i++) seen.add(backoffDelay(2, policy, () => i / 100));
		assert.equal(Math.min(...seen), 0);
		assert.equal(Math.max(...seen), 1980);
	});

	it('stops after maxAttempts', () => {
		assert.equal(decideRetry({ kind: 'response', status: 500 }, 4, policy, () => 0, now).retry, true);
		assert.deepEqual(decideRetry({ kind: 'response', status: 500 }, 5, policy, () => 0, now), { retry: false });
		assert.deepEqual(decideRetry({ kind: 'networkError' }, 1, { ...policy, maxAttempts: 1 }, () => 0, now), { retry: false });
	});

	it('parses Retry-After as seconds or HTTP-date', () => {
		assert.equal(parseRetryAfter('7', now), 7000);
		assert.equal(parseRetryAfter(['3'], now), 3000);
		assert.equal(parseRetryAfter(new Date(now + 12_000).toUTCString(), now), 12_000);
		assert.equal(parseRetryAfter(new Date(now - 12_000).toUTCString(), now), 0);
		assert.equal(parseRetryAfter('soon', now), undefined);
		assert.equal(parseRetryAfter('', now), undefined);
		assert.equal(parseRetryAfter(undefined, now), undefined);
		assert.equal(parseRetryAfter('-5', now), undefined);
	});

	it('honours Retry-After over a shorter jitter, capped at maxRetryAfterMs', () => {
		assert.deepEqual(decideRetry({ kind: 'response', status: 429, retryAfter: '2' }, 1, policy, () => 0, now), { retry: true, delayMs: 2000 });
		assert.deepEqual(decideRetry({ kind: 'response', status: 503, retryAfter: '3600' }, 1, policy, () => 0, now), {
			retry: true,
			delayMs: 30_000,
		});
		const date = new Date(now + 5000).toUTCString();
		assert.deepEqual(decideRetry({ kind: 'response', status: 429, retryAfter: date }, 1, policy, () => 0, now), { retry: true, delayMs: 5000 });
		// a jitter longer than Retry-After wins
		assert.deepEqual(decideRetry({ kind: 'response', status: 429, retryAfter: '0' }, 3, policy, () => 1, now), { retry: true, delayMs: 4000 });
	});
});

describe('outbound retry with pacing (the host pause)', () => {
	const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 500, maxRetryAfterMs: 60_000 };
	const now = 1_000_000;
	it('a Retry-After is taken as it is, no jitter on top (the pacer spreads the restart)', () => {
		const throttled = { kind: 'response', status: 429, retryAfter: '1' } as const;
		// Unpaced, attempt 3 with random 1: jitter 2000 ms beats Retry-After 1 s.
		assert.deepEqual(decideRetry(throttled, 3, policy, () => 1, now), { retry: true, delayMs: 2000 });
		assert.deepEqual(decideRetry(throttled, 3, policy, () => 1, now, now + 1000), { retry: true, delayMs: 1000 });
	});
	it('no retry starts before the host pause ends, whatever failed', () => {
		assert.deepEqual(decideRetry({ kind: 'response', status: 500 }, 1, policy, () => 0.5, now, now + 4000), { retry: true, delayMs: 4000 });
		assert.deepEqual(decideRetry({ kind: 'networkError' }, 1, policy, () => 0.5, now, now + 100), { retry: true, delayMs: 250 });
		assert.deepEqual(decideRetry({ kind: 'response', status: 500 }, 1, policy, () => 0.5, now, 0), { retry: true, delayMs: 250 }, 'not paused');
	});
	it('the pause counts up to maxRetryAfterMs; final answers stay final', () => {
		assert.deepEqual(decideRetry({ kind: 'response', status: 500 }, 1, { ...policy, maxRetryAfterMs: 3000 }, () => 0, now, now + 3_600_000), {
			retry: true,
			delayMs: 3000,
		});
		assert.deepEqual(decideRetry({ kind: 'response', status: 404 }, 1, policy, () => 0, now, now + 5000), { retry: false });
		assert.deepEqual(decideRetry({ kind: 'response', status: 429 }, 5, policy, () => 0, now, now + 5000), { retry: false });
	});
});
