/**
 * Shared pieces of the reliability suite: known secret values, a seeded PRNG, and a capture of everything that
 * could become a log line (n8n's DI Logger used by node contexts, n8n-workflow's LoggerProxy used by the
 * execution engine, console.*, and raw stdout/stderr writes).
 */
import { Container } from '@n8n/di';
import { Logger } from '@n8n/backend-common';
import { LoggerProxy } from 'n8n-workflow';
import { randomBytes } from 'crypto';

/** Secret values no output, error or log may contain. Random per process so nothing can be hard-coded. */
export const API_KEY = `ktkey_${randomBytes(12).toString('hex')}`;
export const PASSWORD = `pw-${randomBytes(10).toString('hex')}!`;
export const USERNAME = 'klicktipp';
export const SIGNING_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

export const CREDENTIAL = {
	apiKey: API_KEY,
	keyName: 'apiKey',
	keyLocation: 'body',
	username: USERNAME,
	password: PASSWORD,
	signingSecret: SIGNING_SECRET,
};

/** Every spelling of a secret that would count as a leak. */
export function leakForms(): string[] {
	const basic = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
	const forms = new Set<string>();
	for (const s of [API_KEY, PASSWORD, SIGNING_SECRET, SIGNING_SECRET.slice('whsec_'.length), basic]) {
		forms.add(s);
		forms.add(encodeURIComponent(s));
		forms.add(JSON.stringify(s).slice(1, -1));
	}
	return [...forms];
}

/** The secret forms found in a text ([] when clean). */
export function leaksIn(text: string): string[] {
	return leakForms().filter((f) => text.includes(f));
}

/** Mulberry32: a small deterministic PRNG. */
export function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** A deterministic number in [0, 1) from a seed and a string (FNV-1a → mulberry32). */
export function hashUnit(seed: number, text: string): number {
	let h = 0x811c9dc5 ^ seed;
	for (let i = 0; i < text.length; i++) {
		h ^= text.charCodeAt(i);
		h = Math.imul(h, 0x01000193);
	}
	return prng(h >>> 0)();
}

export interface LogCapture {
	lines: string[];
	restore: () => void;
}

function line(args: unknown[]): string {
	return args
		.map((a) => {
			if (typeof a === 'string') return a;
			if (a instanceof Error) return `${a.message} ${a.stack ?? ''} ${JSON.stringify(a)}`;
			try {
				return JSON.stringify(a);
			} catch {
				return String(a);
			}
		})
		.join(' ');
}

/**
 * Captures every log line until `restore()`: n8n's DI Logger (this.logger in nodes, request helpers), the
 * LoggerProxy (WorkflowExecute), console.* and process.stdout/stderr writes. Captured output is also passed
 * through to the real streams so test reporters keep working.
 */
export function captureLogs(): LogCapture {
	const lines: string[] = [];
	const record = (level: string) => (message: unknown, meta?: unknown) => {
		lines.push(`${level} ${line([message, meta])}`);
	};
	const fake = {
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
		scoped() {
			return fake;
		},
	};
	const hadLogger = Container.has(Logger);
	const previousLogger = hadLogger ? Container.get(Logger) : undefined;
	Container.set(Logger, fake as unknown as Logger);
	LoggerProxy.init(fake as never);

	const consoleMethods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;
	const savedConsole = consoleMethods.map((m) => console[m]);
	for (const m of consoleMethods) {
		console[m] = (...args: unknown[]) => {
			lines.push(`console.${m} ${line(args)}`);
		};
	}
	const out = process.stdout.write.bind(process.stdout);
	const err = process.stderr.write.bind(process.stderr);
	process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
		lines.push(`stdout ${String(chunk)}`);
		return (out as (...a: unknown[]) => boolean)(chunk, ...rest);
	}) as typeof process.stdout.write;
	process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
		lines.push(`stderr ${String(chunk)}`);
		return (err as (...a: unknown[]) => boolean)(chunk, ...rest);
	}) as typeof process.stderr.write;

	return {
		lines,
		restore() {
			consoleMethods.forEach((m, i) => (console[m] = savedConsole[i]));
			process.stdout.write = out;
			process.stderr.write = err;
			if (previousLogger) Container.set(Logger, previousLogger);
		},
	};
}

/** Every text an error carries: message, description, context, cause chain, JSON form, stack. */
export function errorTexts(error: unknown): string {
	const parts: string[] = [];
	const seen = new Set<unknown>();
	const walk = (e: unknown, depth: number) => {
		if (!e || depth > 4 || seen.has(e)) return;
		seen.add(e);
		if (typeof e !== 'object') {
			parts.push(String(e));
			return;
		}
		const o = e as Record<string, unknown>;
		for (const key of ['message', 'description', 'stack', 'httpCode']) if (o[key] !== undefined) parts.push(String(o[key]));
		try {
			parts.push(JSON.stringify(o));
		} catch {
			/* cyclic: the fields above are enough */
		}
		for (const key of ['context', 'cause', 'errorResponse', 'messages']) if (o[key] !== undefined) walk(o[key], depth + 1);
	};
	walk(error, 0);
	return parts.join('\n');
}
