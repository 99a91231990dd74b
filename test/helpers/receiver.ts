/**
 * A real HTTP receiver on 127.0.0.1 for outbound integration tests: records every request (method, URL,
 * headers, raw body) and answers from a programmable script — status codes, Retry-After, slow answers (for
 * timeouts), connection resets (socket.destroy) and redirects. Plain node:http, no framework, so what the test
 * sees is exactly what arrived on the wire.
 */
import { createServer } from 'http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'http';
import type { AddressInfo } from 'net';
import type { Socket } from 'net';

export interface Received {
	method: string;
	/** Path and query as sent (`req.url`). */
	url: string;
	headers: IncomingHttpHeaders;
	rawBody: Buffer;
	/** UTF-8 text of the body. */
	body: string;
	at: number;
	/** Requests the receiver held at this one's arrival, this one included (answered or dropped ones are out). */
	inFlight?: number;
	/** The status answered (0 for a connection reset); unset while (or if never) answered. */
	status?: number;
}

/** What to do with one request. */
export type Fault =
	| { status: number; headers?: Record<string, string>; body?: string }
	| { reset: true }
	| { delayMs: number; then?: Fault }
	| { redirect: string; status?: 301 | 302 | 303 | 307 | 308 };

/** Decides the answer for a request; `n` counts requests with the same key (1-based). */
export type Script = (req: Received, n: number) => Fault | undefined;

export interface Receiver {
	url: string;
	port: number;
	requests: Received[];
	/** Requests grouped by a key (default: the `id` query parameter or body field, else the path). */
	byKey: (key: string) => Received[];
	setScript: (script: Script) => void;
	close: () => Promise<void>;
}

export function keyOf(r: Received): string {
	const u = new URL(r.url, 'http://x');
	const q = u.searchParams.get('id');
	if (q) return q;
	const ct = String(r.headers['content-type'] ?? '');
	try {
		if (ct.includes('json')) {
			const id = (JSON.parse(r.body) as Record<string, unknown>).id;
			if (id !== undefined) return String(id);
		} else if (ct.includes('x-www-form-urlencoded')) {
			const id = new URLSearchParams(r.body).get('id');
			if (id) return id;
		}
	} catch {
		/* not parseable: fall through */
	}
	return u.pathname;
}

export async function startReceiver(initial?: Script): Promise<Receiver> {
	let script: Script = initial ?? (() => undefined);
	const requests: Received[] = [];
	const counts = new Map<string, number>();
	const sockets = new Set<Socket>();

	let inFlight = 0;

	const answer = (fault: Fault | undefined, req: IncomingMessage, res: ServerResponse, received: Received): void => {
		if (!fault) {
			received.status = 200;
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"ok":true}');
			return;
		}
		if ('reset' in fault) {
			received.status = 0;
			req.socket.destroy();
			return;
		}
		if ('delayMs' in fault) {
			const timer = setTimeout(() => {
				if (!res.destroyed) answer(fault.then, req, res, received);
			}, fault.delayMs);
			res.on('close', () => clearTimeout(timer));
			return;
		}
		if ('redirect' in fault) {
			received.status = fault.status ?? 302;
			res.writeHead(fault.status ?? 302, { location: fault.redirect });
			res.end();
			return;
		}
		received.status = fault.status;
		res.writeHead(fault.status, { 'content-type': 'text/plain; charset=utf-8', ...(fault.headers ?? {}) });
		res.end(fault.body ?? '');
	};

	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const rawBody = Buffer.concat(chunks);
			const received: Received = {
				method: req.method ?? '',
				url: req.url ?? '',
				headers: req.headers,
				rawBody,
				body: rawBody.toString('utf8'),
				at: Date.now(),
				inFlight: ++inFlight,
			};
			res.once('close', () => inFlight--);
			requests.push(received);
			const key = keyOf(received);
			const n = (counts.get(key) ?? 0) + 1;
			counts.set(key, n);
			let fault: Fault | undefined;
			try {
				fault = script(received, n);
			} catch (error) {
				fault = { status: 599, body: `script error: ${(error as Error).message}` };
			}
			answer(fault, req, res, received);
		});
	});
	server.keepAliveTimeout = 5000;
	server.on('connection', (s: Socket) => {
		sockets.add(s);
		s.on('close', () => sockets.delete(s));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		requests,
		byKey: (key) => requests.filter((r) => keyOf(r) === key),
		setScript: (s) => {
			script = s;
		},
		close: async () => {
			for (const s of sockets) s.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

export interface TokenBucketOptions {
	/** Requests per second the receiver accepts (the bucket's refill rate). */
	rate: number;
	/** Bucket size: how many requests may arrive at once after a quiet time (default: one second's worth). */
	burst?: number;
	/** Latency of every answer, accepted or not (default 20 ms). */
	latencyMs?: number;
	/** Retry-After as delta-seconds (default) or as an HTTP date. */
	retryAfter?: 'seconds' | 'date';
}

export interface TokenBucketStats {
	accepted: number;
	throttled: number;
	/** Accepted requests per key (see keyOf): more than 1 would be a duplicate delivery. */
	acceptedByKey: Map<string, number>;
	/** The highest number of requests the receiver held at once. */
	maxInFlight: number;
	/** For every 429: when it was answered and the pause it asked for (ms). */
	throttles: Array<{ answeredAt: number; pauseMs: number }>;
}

/**
 * A rate-limited receiver (HubSpot-style "R requests per second"): a token bucket refilled at `rate` per second;
 * a request that finds a token gets 200, one that does not gets 429 with a Retry-After for when the next token is
 * there (rounded up to whole seconds, at least 1). Every answer comes after `latencyMs`. Use as the receiver's script.
 */
export function tokenBucket(options: TokenBucketOptions): { script: Script; stats: TokenBucketStats } {
	const burst = options.burst ?? options.rate;
	const latencyMs = options.latencyMs ?? 20;
	let tokens = burst;
	let last = Date.now();
	let inFlight = 0;
	const stats: TokenBucketStats = { accepted: 0, throttled: 0, acceptedByKey: new Map(), maxInFlight: 0, throttles: [] };
	const later = (fault: Fault | undefined): Fault => {
		inFlight++;
		stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
		const done = { delayMs: latencyMs, then: fault };
		// Count the request out when its answer is due (the receiver's own view of concurrency).
		setTimeout(() => inFlight--, latencyMs).unref();
		return done;
	};
	const script: Script = (req) => {
		const now = Date.now();
		tokens = Math.min(burst, tokens + ((now - last) * options.rate) / 1000);
		last = now;
		if (tokens >= 1) {
			tokens -= 1;
			stats.accepted++;
			const key = keyOf(req);
			stats.acceptedByKey.set(key, (stats.acceptedByKey.get(key) ?? 0) + 1);
			return later({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
		}
		stats.throttled++;
		const waitS = Math.max(1, Math.ceil((1 - tokens) / options.rate));
		stats.throttles.push({ answeredAt: now + latencyMs, pauseMs: waitS * 1000 });
		const retryAfter = options.retryAfter === 'date' ? new Date(now + waitS * 1000 + 999).toUTCString() : String(waitS);
		return later({ status: 429, headers: { 'retry-after': retryAfter }, body: 'rate limit exceeded' });
	};
	return { script, stats };
}
