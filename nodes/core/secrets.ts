/**
 * Secret handling shared by the trigger and the action node: constant-time comparison and masking.
 * No n8n imports (functional core).
 */
import { createHash, timingSafeEqual } from 'crypto';

/**
 * Compares two secrets in constant time with respect to their content. Both sides are hashed first so that
 * inputs of different length are compared without an early return that would leak the length.
 */
export function secretsEqual(received: unknown, expected: unknown): boolean {
	if (typeof received !== 'string' || typeof expected !== 'string') return false;
	if (expected.length === 0) return false;
	const a = createHash('sha256').update(received, 'utf8').digest();
	const b = createHash('sha256').update(expected, 'utf8').digest();
	return timingSafeEqual(a, b) && received.length === expected.length;
}

export const MASK = '***';

/** Replaces every occurrence of any non-empty secret (and its URL-encoded form) inside a string. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
	let out = text;
	for (const secret of secrets) {
		if (!secret || secret.length < 3) continue;
		for (const form of new Set([secret, encodeURIComponent(secret), encodeFormComponent(secret)])) {
			out = out.split(form).join(MASK);
		}
	}
	return out;
}

/** Deeply redacts every string inside a JSON-like value. Returns a new value; the input is not changed. */
export function redactDeep<T>(value: T, secrets: ReadonlyArray<string | undefined>): T {
	const active = secrets.filter((s): s is string => !!s && s.length >= 3);
	if (active.length === 0) return value;
	const walk = (v: unknown): unknown => {
		if (typeof v === 'string') return redact(v, active);
		if (Array.isArray(v)) return v.map(walk);
		if (v && typeof v === 'object') {
			const out: Record<string, unknown> = {};
			for (const [k, inner] of Object.entries(v as Record<string, unknown>)) out[redact(k, active)] = walk(inner);
			return out;
		}
		return v;
	};
	return walk(value) as T;
}

/** application/x-www-form-urlencoded encoding of one component (spaces as '+'). */
export function encodeFormComponent(value: string): string {
	return encodeURIComponent(toWellFormed(value)).replace(/%20/g, '+');
}

/**
 * Replaces lone UTF-16 surrogates (e.g. from an emoji cut in half by `.slice()`) with U+FFFD, as UTF-8,
 * TextEncoder and URLSearchParams do; encodeURIComponent throws "URI malformed" on them otherwise.
 */
export function toWellFormed(value: string): string {
	return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}
