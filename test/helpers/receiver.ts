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

	const answer = (fault: Fault | undefined, req: IncomingMessage, res: ServerResponse): void => {
		if (!fault) {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"ok":true}');
			return;
		}
		if ('reset' in fault) {
			req.socket.destroy();
			return;
		}
		if ('delayMs' in fault) {
			const timer = setTimeout(() => {
				if (!res.destroyed) answer(fault.then, req, res);
			}, fault.delayMs);
			res.on('close', () => clearTimeout(timer));
			return;
		}
		if ('redirect' in fault) {
			res.writeHead(fault.status ?? 302, { location: fault.redirect });
			res.end();
			return;
		}
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
			};
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
			answer(fault, req, res);
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
