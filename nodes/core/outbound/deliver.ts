/**
 * Delivery of one authorised outbound request: SSRF check before every hop, redirects followed by hand (at
 * most `maxRedirects`, each target checked again, credential headers dropped when the origin changes),
 * retries per the retry policy, a fresh signature per attempt with the same webhook-id. Everything with side
 * effects (HTTP, waiting, clock, randomness, n8n's egress check) is injected, so this is plain, testable logic without n8n.
 */
import { valueByName } from '../lookup';
import type { AuthorizedRequest } from './auth';
import type { PaceOutcome, Pacers } from './pacer';
import { isThrottleStatus } from './pacer';
import type { RetryPolicy } from './retry';
import { decideRetry, isSuccessStatus, parseRetryAfter } from './retry';
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
	/**
	 * The execution's pacers (one per host): every send waits for its host's slot and pause. Without pacers each
	 * request goes out at once and retries on its own clock (fixed concurrency).
	 */
	pacers?: Pacers;
}

export interface DeliveryOptions {
	policy: RetryPolicy;
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

/** What a response means for the host's pacer. */
export function paceOutcome(response: WireResponse, nowMs: number): PaceOutcome {
	if (isSuccessStatus(response.statusCode)) return { kind: 'success' };
	if (isThrottleStatus(response.statusCode)) {
		return { kind: 'throttled', pauseMs: parseRetryAfter(valueByName(response.headers, 'retry-after'), nowMs) };
	}
	return { kind: 'neutral' };
}

type HopResult =
	| { kind: 'response'; response: WireResponse; url: string }
	| { kind: 'networkError'; error: unknown; url: string }
	| { kind: 'final'; reason: string; url: string; httpStatus?: number };

async function attemptOnce(request: AuthorizedRequest, options: DeliveryOptions, deps: DeliveryDeps): Promise<HopResult> {
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
		const pacer = deps.pacers?.host(url);
		const ticket = pacer ? await pacer.acquire() : undefined;
		// Signed after the wait, so the timestamp is fresh when the request leaves.
		const sent = options.sign ? options.sign({ method, body, headers }) : headers;
		let response: WireResponse;
		try {
			response = await deps.send({ method, url, headers: sent, body, timeoutMs: options.timeoutMs });
		} catch (error) {
			if (pacer && ticket) pacer.release(ticket, { kind: isTimeoutError(error) ? 'timeout' : 'neutral' });
			// n8n's own SSRF protection refusing at connect time (a name resolving to a blocked address) is final.
			const refused = egressRefusal(error, url);
			return refused ? { kind: 'final', reason: refused, url } : { kind: 'networkError', error, url };
		}
		if (pacer && ticket) pacer.release(ticket, paceOutcome(response, deps.now()));
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

/** Delivers one request with retries. Never rejects for HTTP or network failures; returns a result instead. */
export async function deliver(request: AuthorizedRequest, options: DeliveryOptions, deps: DeliveryDeps): Promise<DeliveryResult> {
	const started = deps.now();
	let attempts = 0;
	for (;;) {
		attempts++;
		const hop = await attemptOnce(request, options, deps);
		const durationMs = () => Math.max(0, deps.now() - started);
		if (hop.kind === 'final') {
			return { status: 'failed', reason: hop.reason, httpStatus: hop.httpStatus, attempts, durationMs: durationMs(), finalUrl: hop.url };
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
		const pausedUntil = deps.pacers?.host(hop.url).pauseUntil;
		const decision =
			hop.kind === 'response'
				? decideRetry(
						{ kind: 'response', status: hop.response.statusCode, retryAfter: valueByName(hop.response.headers, 'retry-after') },
						attempts,
						options.policy,
						deps.random,
						deps.now(),
						pausedUntil,
					)
				: decideRetry({ kind: 'networkError' }, attempts, options.policy, deps.random, deps.now(), pausedUntil);
		if (!decision.retry) {
			if (hop.kind === 'response') {
				const retryable = attempts >= options.policy.maxAttempts && attempts > 1;
				const retryAfterMs = parseRetryAfter(valueByName(hop.response.headers, 'retry-after'), deps.now());
				return {
					status: 'failed',
					reason: describeStatus(hop.response.statusCode, hop.response.body) + (retryable ? ` (after ${attempts} attempts)` : ''),
					httpStatus: hop.response.statusCode,
					attempts,
					durationMs: durationMs(),
					finalUrl: hop.url,
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
			};
		}
		await deps.sleep(decision.delayMs);
	}
}
