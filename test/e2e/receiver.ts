/**
 * A tiny local HTTP receiver for outbound deliveries in the e2e tests: records every request (method, path, query,
 * headers, raw body and the body parsed by content type) and answers per path with a programmable behaviour
 * (e.g. fail twice with 503, then 200).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
	method: string;
	path: string;
	query: Record<string, string | string[]>;
	headers: http.IncomingHttpHeaders;
	rawBody: Buffer;
	/** JSON or form bodies parsed; otherwise the text. */
	body: unknown;
	at: number;
	/** The status the receiver answered with. */
	status?: number;
}

/** Answers for a request: the nth request (1-based) to this path gets this answer (after `delayMs`, if given). */
export type Behaviour = (n: number, req: ReceivedRequest) => { status: number; body?: string; headers?: Record<string, string>; delayMs?: number };

export const ok: Behaviour = () => ({ status: 200, body: '{"ok":true}', headers: { 'content-type': 'application/json' } });
export const failTimes =
	(times: number, status = 503): Behaviour =>
	(n) =>
		n <= times ? { status, body: `{"error":"injected failure ${n}"}` } : ok(n, undefined as never);
export const always =
	(status: number): Behaviour =>
	() => ({ status, body: `{"error":"always ${status}"}` });

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
	const text = raw.toString('utf8');
	if (!text) return undefined;
	if (contentType?.includes('json')) {
		try {
			return JSON.parse(text);
		} catch {
			return text;
		}
	}
	if (contentType?.includes('x-www-form-urlencoded')) {
		const out: Record<string, string | string[]> = {};
		for (const [k, v] of new URLSearchParams(text)) {
			const prev = out[k];
			out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
		}
		return out;
	}
	return text;
}

export class Receiver {
	readonly requests: ReceivedRequest[] = [];
	private readonly behaviours = new Map<string, Behaviour>();
	private readonly counts = new Map<string, number>();
	private server?: http.Server;
	port = 0;

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	on(path: string, behaviour: Behaviour): this {
		this.behaviours.set(path, behaviour);
		return this;
	}

	at(path: string): ReceivedRequest[] {
		return this.requests.filter((r) => r.path === path);
	}

	async waitFor(path: string, count: number, timeoutMs = 30_000): Promise<ReceivedRequest[]> {
		const deadline = Date.now() + timeoutMs;
		while (this.at(path).length < count) {
			if (Date.now() > deadline) throw new Error(`receiver: ${this.at(path).length}/${count} requests at ${path}`);
			await new Promise((r) => setTimeout(r, 100));
		}
		return this.at(path);
	}

	async start(port = 0): Promise<this> {
		this.server = http.createServer((req, res) => {
			const chunks: Buffer[] = [];
			req.on('data', (c: Buffer) => chunks.push(c));
			req.on('end', () => {
				const url = new URL(req.url ?? '/', 'http://receiver');
				const query: Record<string, string | string[]> = {};
				for (const [k, v] of url.searchParams) {
					const prev = query[k];
					query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
				}
				const rawBody = Buffer.concat(chunks);
				const rec: ReceivedRequest = {
					method: req.method ?? '',
					path: url.pathname,
					query,
					headers: req.headers,
					rawBody,
					body: parseBody(rawBody, req.headers['content-type']),
					at: Date.now(),
				};
				this.requests.push(rec);
				const n = (this.counts.get(url.pathname) ?? 0) + 1;
				this.counts.set(url.pathname, n);
				const answer = (this.behaviours.get(url.pathname) ?? ok)(n, rec);
				rec.status = answer.status;
				const send = () => {
					res.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' });
					res.end(answer.body ?? '');
				};
				if (answer.delayMs) setTimeout(send, answer.delayMs);
				else send();
			});
		});
		this.server.keepAliveTimeout = 30_000;
		await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
		this.port = (this.server.address() as AddressInfo).port;
		return this;
	}

	async stop(): Promise<void> {
		if (!this.server) return;
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server!.close(() => resolve()));
	}
}
