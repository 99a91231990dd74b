/**
 * Delivery of one authorised outbound request: SSRF check before every hop, redirects followed by hand (at
 * most `maxRedirects`, each target checked again, credential headers dropped when the origin changes),
 * retries per the retry policy, a fresh signature per attempt with the same webhook-id. Every attempt asks the
 * receiver host for a slot (host.ts: window, pause, circuit breaker) and tells it how the attempt ended; an item
 * whose host stays down past the outage budget is parked: it leaves failed and replayable, not attempted again.
 * Everything with side effects (HTTP, waiting, clock, randomness, n8n's egress check) is injected, so this is
 * plain, testable logic without n8n.
 */
import { valueByName } from '../lookup';
import type { AuthorizedRequest } from './auth';
import type { Host, HostOutcome, HostPolicy, HostRegistry } from './host';
import type { RetryPolicy } from './retry';
import { decideRetry, isRetryableStatus, isSuccessStatus, parseRetryAfter } from './retry';
import type { TargetVerdict } from './ssrf';
import { egressRefusal } from './ssrf';

export interface WireRequest {
	method: string;
	url: string;
	headers: Record<string, string>;
	body: string | null;
	timeoutMs: number;
}

export interface WireResponse {
	statusCode: number;
	headers: Record<string, unknown>;
	body: unknown;
}

export interface DeliveryDeps {
	/** Sends one HTTP request without following redirects; resolves for every status, rejects on network errors. */
	send: (request: WireRequest) => Promise<WireResponse>;
	sleep: (ms: number) => Promise<void>;
	random: () => number;
	now: () => number;
	/** The SSRF guard for one hop; rejects only when the check could not be made (e.g. a failed lookup). */
	checkTarget: (url: string) => Promise<TargetVerdict>;
	/** The process's receiver hosts: every attempt waits for its host's slot, pause and circuit. */
	hosts: HostRegistry;
}

export interface DeliveryOptions {
	policy: RetryPolicy;
	/** What each attempt brings to its host (Concurrency, Adaptive Pacing, Max Retry-After, Outage Budget). */
	host: HostPolicy;
	/**
	 * Past Max Attempts, keep trying while the host (not the item) is failing (`triesOn`). Send does; Redeliver does
	 * not: its schedule spaces the attempts, one per record and run.
	 */
	hostRule: boolean;
	timeoutMs: number;
	maxRedirects: number;
	/** Adds signature headers for the given request; called once per attempt and hop. */
	sign?: (request: { method: string; body: string | null; headers: Record<string, string> }) => Record<string, string>;
}

export interface DeliveryResult {
	status: 'delivered' | 'failed';
	reason?: string;
	httpStatus?: number;
	attempts: number;
	durationMs: number;
	/** The URL that answered last (differs from the request URL after redirects). */
	finalUrl: string;
	responseBody?: unknown;
	/** For a failure the receiver answered with Retry-After: how long it asked to wait (ms). */
	retryAfterMs?: number;
	/** When the first attempt went (epoch ms); for an item parked before any attempt, when it was parked. */
	firstAttemptAt?: number;
	/** Parked: its host's circuit stayed open past the outage budget; `retryAt` is when the host is probed next. */
	parked?: { retryAt: number };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function errorParts(error: unknown): { code: string; message: string } {
	const e = error as { code?: unknown; message?: unknown; cause?: { code?: unknown } };
	const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : '';
	const message = typeof e?.message === 'string' ? e.message : String(error);
	return { code, message };
}

/** Whether a network error is a timeout (no answer in time). */
export function isTimeoutError(error: unknown): boolean {
	const { code, message } = errorParts(error);
	return code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message);
}

/** A short, single-line description of a network error (code and message; never request headers). */
export function describeNetworkError(error: unknown, timeoutMs: number): string {
	const { code, message } = errorParts(error);
	if (isTimeoutError(error)) {
		return `Timeout: no response within ${timeoutMs} ms`;
	}
	const text = message.replace(/\s+/g, ' ').slice(0, 200);
	return code && !text.includes(code) ? `Network error ${code}: ${text}` : `Network error: ${text}`;
}

/** A short text of a response body for a failure reason. */
export function bodySnippet(body: unknown, max = 300): string {
	if (body === undefined || body === null || body === '') return '';
	let text: string;
	if (typeof body === 'string') text = body;
	else if (Buffer.isBuffer(body)) text = body.toString('utf8');
	else {
		try {
			text = JSON.stringify(body);
		} catch {
			text = String(body);
		}
	}
	text = text.replace(/\s+/g, ' ').trim();
	return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function describeStatus(status: number, body: unknown): string {
	const snippet = bodySnippet(body);
	return snippet ? `HTTP ${status}: ${snippet}` : `HTTP ${status}`;
}

/**
 * What an answer means for its host: 2xx success; 429 (or 503 with Retry-After) slow down; 503 without Retry-After
 * congestion and failure; other 5xx and 408 failure; anything else an answer (the host is up).
 */
export function hostOutcome(response: WireResponse, nowMs: number): HostOutcome {
	const status = response.statusCode;
	if (isSuccessStatus(status)) return { kind: 'success' };
	const pauseMs = parseRetryAfter(valueByName(response.headers, 'retry-after'), nowMs);
	if (status === 429 || (status === 503 && pauseMs !== undefined)) return { kind: 'throttled', pauseMs };
	// The host keeps the reason for every execution in the process (and in static data): the status only, never
	// a response body, which may echo one workflow's secret.
	if (status === 503) return { kind: 'unavailable', reason: `HTTP ${status}` };
	if (status === 408 || (status >= 500 && status <= 599)) return { kind: 'failure', reason: `HTTP ${status}` };
	return { kind: 'answered' };
}

/** What a network error means for its host: a timeout, or a failure (by its code only, for the same reason). */
export function errorOutcome(error: unknown, timeoutMs: number): HostOutcome {
	if (isTimeoutError(error)) return { kind: 'timeout', reason: `Timeout: no response within ${timeoutMs} ms` };
	return { kind: 'failure', reason: `Network error ${errorParts(error).code || '(no code)'}` };
}

type HopResult =
	| { kind: 'response'; response: WireResponse; url: string }
	| { kind: 'networkError'; error: unknown; url: string }
	| { kind: 'final'; reason: string; url: string; httpStatus?: number }
	| { kind: 'parked'; reason: string; retryAt: number; url: string };

/** One attempt: every hop (redirect) checked and paced. `onSend` is told when its first request really leaves. */
async function attemptOnce(request: AuthorizedRequest, options: DeliveryOptions, deps: DeliveryDeps, onSend: (host: Host) => void): Promise<HopResult> {
	let method: string = request.method;
	let url = request.url;
	let body = request.body;
	let headers: Record<string, string> = { ...request.headers };
	let origin: string;
	try {
		origin = new URL(request.url).origin;
	} catch {
		// A placeholder in the host can leave an unparseable URL (e.g. a value with a space): fail this item only.
		return { kind: 'final', reason: 'The URL is not a valid absolute URL', url };
	}
	for (let hop = 0; ; hop++) {
		let verdict: TargetVerdict;
		try {
			verdict = await deps.checkTarget(url);
		} catch (error) {
			// A lookup that fails (ENOTFOUND, EAI_AGAIN) is a network error, retried; only a blocked target is a refusal.
			const refused = egressRefusal(error, url);
			return refused ? { kind: 'final', reason: refused, url } : { kind: 'networkError', error, url };
		}
		if (!verdict.ok) return { kind: 'final', reason: verdict.reason, url };
		const host = deps.hosts.host(url);
		const grant = await host.acquire(options.host, request);
		if (grant.kind === 'parked') return { kind: 'parked', reason: grant.reason, retryAt: grant.retryAt, url };
		const { ticket } = grant;
		if (hop === 0) onSend(host);
		// Signed after the wait, so the timestamp is fresh when the request leaves.
		const sent = options.sign ? options.sign({ method, body, headers }) : headers;
		let response: WireResponse;
		try {
			response = await deps.send({ method, url, headers: sent, body, timeoutMs: options.timeoutMs });
		} catch (error) {
			// n8n's own SSRF protection refusing at connect time (a name resolving to a blocked address) is final.
			const refused = egressRefusal(error, url);
			host.release(ticket, refused ? { kind: 'answered' } : errorOutcome(error, options.timeoutMs));
			return refused ? { kind: 'final', reason: refused, url } : { kind: 'networkError', error, url };
		}
		host.release(ticket, hostOutcome(response, deps.now()));
		const location = valueByName(response.headers, 'location');
		if (!REDIRECTS.has(response.statusCode) || typeof location !== 'string' || location === '') {
			return { kind: 'response', response, url };
		}
		if (hop >= options.maxRedirects) {
			return {
				kind: 'final',
				reason: `Too many redirects (more than ${options.maxRedirects})`,
				url,
				httpStatus: response.statusCode,
			};
		}
		let next: URL;
		try {
			next = new URL(location, url);
		} catch {
			return { kind: 'final', reason: 'The redirect Location is not a valid URL', url, httpStatus: response.statusCode };
		}
		headers = { ...headers };
		if (response.statusCode === 303 && method !== 'GET') {
			method = 'GET';
			body = null;
			delete headers['content-type'];
		}
		if (next.origin !== origin) {
			// Never hand credentials to another origin (what browsers and curl do too).
			for (const name of request.credentialHeaders) delete headers[name];
		}
		url = next.toString();
	}
}

/** What an item saw of its host since its first attempt: the host's counters then, and its own failures since. */
export interface ItemView {
	firstAttemptAt: number;
	successesBefore: number;
	failuresBefore: number;
	ownFailures: number;
}

/** Other requests' failures above this share of their outcomes make a host flapping, not the item's request bad. */
export const FLAPPING_SHARE = 0.1;

/**
 * Whether an item that used up Max Attempts gets another try. Only with a breaker (Outage Budget), within the budget
 * counted from its first attempt, and only when its failures were its host's, not its own: the host's circuit is
 * open (an outage the breaker waits out), or since the item's first attempt the host delivered other requests while
 * also failing others (at least FLAPPING_SHARE of them: a flapping or restarting receiver). A host that fails only
 * this item (a 500 for this one payload) does not make it try again.
 */
export function triesOn(policy: HostPolicy, item: ItemView, host: { circuitOpen: boolean; totals: { successes: number; failures: number } }, nowMs: number): boolean {
	if (policy.outageBudgetMs <= 0 || nowMs - item.firstAttemptAt >= policy.outageBudgetMs) return false;
	if (host.circuitOpen) return true;
	const successes = host.totals.successes - item.successesBefore;
	const othersFailed = host.totals.failures - item.failuresBefore - item.ownFailures;
	return successes > 0 && othersFailed > 0 && othersFailed >= FLAPPING_SHARE * (othersFailed + successes);
}

/** Delivers one request with retries. Never rejects for HTTP or network failures; returns a result instead. */
export async function deliver(request: AuthorizedRequest, options: DeliveryOptions, deps: DeliveryDeps): Promise<DeliveryResult> {
	const started = deps.now();
	let attempts = 0;
	let firstAttemptAt: number | undefined;
	let item: ItemView | undefined;
	const onSend = (host: Host) => {
		firstAttemptAt ??= deps.now();
		item ??= { firstAttemptAt, successesBefore: host.totals.successes, failuresBefore: host.totals.failures, ownFailures: 0 };
	};
	for (;;) {
		attempts++;
		const hop = await attemptOnce(request, options, deps, onSend);
		const durationMs = () => Math.max(0, deps.now() - started);
		const first = () => firstAttemptAt ?? deps.now();
		if (hop.kind === 'parked') {
			// Parked before it went: this round was no attempt.
			attempts--;
			const tried = attempts === 0 ? 'not attempted' : `not attempted again after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
			return {
				status: 'failed',
				reason: `${hop.reason}; ${tried} (parked: replay it with Redeliver)`,
				attempts,
				durationMs: durationMs(),
				finalUrl: hop.url,
				firstAttemptAt: first(),
				parked: { retryAt: hop.retryAt },
			};
		}
		if (hop.kind === 'final') {
			return { status: 'failed', reason: hop.reason, httpStatus: hop.httpStatus, attempts, durationMs: durationMs(), finalUrl: hop.url, firstAttemptAt: first() };
		}
		if (hop.kind === 'response' && isSuccessStatus(hop.response.statusCode)) {
			return {
				status: 'delivered',
				httpStatus: hop.response.statusCode,
				attempts,
				durationMs: durationMs(),
				finalUrl: hop.url,
				responseBody: hop.response.body,
			};
		}
		firstAttemptAt ??= deps.now();
		const host = deps.hosts.host(hop.url);
		if (item && (hop.kind === 'networkError' || isRetryableStatus(hop.response.statusCode))) item.ownFailures++;
		const outcome =
			hop.kind === 'response'
				? { kind: 'response' as const, status: hop.response.statusCode, retryAfter: valueByName(hop.response.headers, 'retry-after') }
				: { kind: 'networkError' as const };
		let decision = decideRetry(outcome, attempts, options.policy, deps.random, deps.now(), host.pauseUntil);
		const retryable = outcome.kind === 'networkError' || isRetryableStatus(outcome.status);
		if (!decision.retry && retryable && options.hostRule && item && triesOn(options.host, item, host, deps.now())) {
			// Past Max Attempts, but the host, not the item, was failing: another try within the outage budget, spaced
			// like an early retry (the breaker and the window keep the host from being hammered).
			decision = decideRetry(outcome, 1, { ...options.policy, maxAttempts: 2, maxDelayMs: options.policy.baseDelayMs * 4 }, deps.random, deps.now(), host.pauseUntil);
		}
		if (!decision.retry) {
			if (hop.kind === 'response') {
				const retryAfterMs = parseRetryAfter(valueByName(hop.response.headers, 'retry-after'), deps.now());
				return {
					status: 'failed',
					reason: describeStatus(hop.response.statusCode, hop.response.body) + (retryable && attempts > 1 ? ` (after ${attempts} attempts)` : ''),
					httpStatus: hop.response.statusCode,
					attempts,
					durationMs: durationMs(),
					finalUrl: hop.url,
					firstAttemptAt: first(),
					responseBody: hop.response.body,
					...(retryAfterMs === undefined ? {} : { retryAfterMs }),
				};
			}
			return {
				status: 'failed',
				reason: describeNetworkError(hop.error, options.timeoutMs) + (attempts > 1 ? ` (after ${attempts} attempts)` : ''),
				attempts,
				durationMs: durationMs(),
				finalUrl: hop.url,
				firstAttemptAt: first(),
			};
		}
		await deps.sleep(decision.delayMs);
	}
}
