/**
 * Retry policy for outbound deliveries: network errors, 408, 425, 429 and 5xx are retried with exponential
 * backoff and full jitter; `Retry-After` (seconds or HTTP-date) is honoured up to a cap; other statuses are
 * final. The random source and the clock are parameters so tests are exact. No n8n imports.
 */

export interface RetryPolicy {
	/** Total attempts including the first (>= 1). */
	maxAttempts: number;
	/** Base delay in ms: attempt n waits up to base * 2^(n-1). */
	baseDelayMs: number;
	/** Upper bound of the exponential backoff in ms. */
	maxDelayMs: number;
	/** Upper bound for a server's Retry-After in ms. */
	maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxAttempts: 5,
	baseDelayMs: 500,
	maxDelayMs: 30_000,
	maxRetryAfterMs: 60_000,
};

const RETRYABLE_STATUS = new Set([408, 425, 429]);

/** Whether an HTTP status is worth another attempt. */
export function isRetryableStatus(status: number): boolean {
	return RETRYABLE_STATUS.has(status) || (status >= 500 && status <= 599);
}

export function isSuccessStatus(status: number): boolean {
	return status >= 200 && status <= 299;
}

/**
 * Parses a Retry-After header value into milliseconds from `nowMs`: delta-seconds or an HTTP-date. Returns
 * undefined when absent or unparseable; a date in the past gives 0.
 */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
	const raw = Array.isArray(value) ? value[0] : value;
	if (typeof raw !== 'string' && typeof raw !== 'number') return undefined;
	const text = String(raw).trim();
	if (text === '') return undefined;
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	if (/^\d+\.\d+$/.test(text)) return Math.round(Number(text) * 1000);
	// HTTP-date (IMF-fixdate, RFC 850 or asctime): must name a weekday or month to avoid parsing plain numbers.
	if (!/[A-Za-z]{3}/.test(text)) return undefined;
	const at = Date.parse(text);
	if (Number.isNaN(at)) return undefined;
	return Math.max(0, at - nowMs);
}

/** Full-jitter exponential backoff for the wait after attempt `attempt` (1-based): random * min(cap, base*2^(n-1)). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
	const exp = policy.baseDelayMs * 2 ** Math.max(0, attempt - 1);
	const ceiling = Math.min(policy.maxDelayMs, exp);
	const r = Math.min(Math.max(random(), 0), 1);
	return Math.floor(r * ceiling);
}

export type AttemptOutcome =
	| { kind: 'response'; status: number; retryAfter?: unknown }
	| { kind: 'networkError'; code?: string };

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * Decides what happens after attempt `attempt` (1-based). A Retry-After the server sent replaces the jittered
 * delay when it is longer, capped at `maxRetryAfterMs`.
 *
 * With pacing (`hostPausedUntilMs` given, the epoch ms until which the target host is paused, 0 if not): no retry
 * starts before the host's pause ends (capped at `maxRetryAfterMs`), and a Retry-After is taken as it is, without
 * jitter on top: the host's pacer lets the waiting requests go one window at a time, which spreads them anyway.
 */
export function decideRetry(
	outcome: AttemptOutcome,
	attempt: number,
	policy: RetryPolicy,
	random: () => number,
	nowMs: number,
	hostPausedUntilMs?: number,
): RetryDecision {
	if (attempt >= policy.maxAttempts) return { retry: false };
	if (outcome.kind === 'response' && !isRetryableStatus(outcome.status)) return { retry: false };
	const after = outcome.kind === 'response' ? parseRetryAfter(outcome.retryAfter, nowMs) : undefined;
	const serverDelay = after === undefined ? undefined : Math.min(after, policy.maxRetryAfterMs);
	if (hostPausedUntilMs === undefined) {
		const jitter = backoffDelay(attempt, policy, random);
		return { retry: true, delayMs: serverDelay === undefined ? jitter : Math.max(jitter, serverDelay) };
	}
	const own = serverDelay ?? backoffDelay(attempt, policy, random);
	const pause = Math.min(Math.max(0, hostPausedUntilMs - nowMs), policy.maxRetryAfterMs);
	return { retry: true, delayMs: Math.max(own, pause) };
}
