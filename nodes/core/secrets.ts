/**
 * Secret handling shared by the trigger and the action node: constant-time comparison and masking.
 * No n8n imports (functional core).
 */
import { hash, timingSafeEqual } from 'crypto';

/**
 * Compares two secrets in constant time with respect to their content. Both sides are hashed first so that
 * inputs of different length are compared without an early return that would leak the length.
 */
export function secretsEqual(received: unknown, expected: unknown): boolean {
	if (typeof received !== 'string' || typeof expected !== 'string') return false;
	if (expected.length === 0) return false;
	return timingSafeEqual(digest(received), digest(expected)) && received.length === expected.length;
}

/** SHA-256 of a string (one-shot: about twice as fast as createHash for short strings; Node >= 20.12). */
function digest(text: string): Buffer {
	return hash('sha256', text, 'buffer');
}

/** One matcher per secrets list, like secretForms (the trigger checks the body and the query with one list). */
const matcherCache = new WeakMap<ReadonlyArray<string | undefined>, (value: unknown) => boolean>();

/**
 * "Is this value one of these secrets?" in constant time, for many values against the same secrets (every received
 * parameter against the credential's secrets): each secret is hashed once here and each value once per call, where
 * secretsEqual per pair would hash both sides for every pair. Every secret is compared, without an early return.
 */
export function secretMatcher(secrets: ReadonlyArray<string | undefined>): (value: unknown) => boolean {
	const known = matcherCache.get(secrets);
	if (known) return known;
	const expected = secrets
		.filter((s): s is string => typeof s === 'string' && s.length > 0)
		.map((s) => ({ hash: digest(s), length: s.length }));
	const matcher = (value: unknown): boolean => {
		if (typeof value !== 'string' || expected.length === 0) return false;
		const received = digest(value);
		let found = false;
		for (const e of expected) found = (timingSafeEqual(received, e.hash) && value.length === e.length) || found;
		return found;
	};
	matcherCache.set(secrets, matcher);
	return matcher;
}

export const MASK = '***';

/**
 * secretForms per secrets list: the trigger masks the reason, headers and raw body of a request with one list, the
 * action node every output item of a run with one list, so the spellings are derived once per list, not per string.
 * Keyed by the list itself: lists of secrets are built once and never changed afterwards.
 */
const formsCache = new WeakMap<ReadonlyArray<string | undefined>, readonly string[]>();

/**
 * Every spelling in which a secret can show up in a body, URL, header or echoed response: as is, JSON-escaped, and
 * percent-encoded the ways senders do it (encodeURIComponent; PHP's urlencode, Python's quote_plus and
 * URLSearchParams, which also escape !'()* and ~; spaces as %20 or +; upper- or lower-case hex digits).
 * Secrets shorter than 3 characters are not masked (they would mask everything).
 */
export function secretForms(secrets: ReadonlyArray<string | undefined>): readonly string[] {
	const known = formsCache.get(secrets);
	if (known) return known;
	const forms = new Set<string>();
	const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
	for (const secret of secrets) {
		if (!secret || secret.length < 3) continue;
		forms.add(secret);
		forms.add(JSON.stringify(secret).slice(1, -1));
		const encoded = encodeURIComponent(toWellFormed(secret));
		for (const strict of [encoded, encoded.replace(/[!'()*]/g, hex), encoded.replace(/[!'()*~]/g, hex)]) {
			for (const spaced of [strict, strict.replace(/%20/g, '+')]) {
				forms.add(spaced);
				forms.add(spaced.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
			}
		}
	}
	// Longest first, so a longer spelling is masked whole before a shorter one inside it.
	const sorted = [...forms].sort((a, b) => b.length - a.length);
	formsCache.set(secrets, sorted);
	return sorted;
}


/** Replaces every occurrence of any of `forms` (from secretForms) inside a string. */
function maskForms(text: string, forms: ReadonlyArray<string>): string {
	let out = text;
	for (const form of forms) if (out.includes(form)) out = out.split(form).join(MASK);
	return out;
}

/** Replaces every occurrence of any non-empty secret, in any of its spellings (see secretForms), inside a string. */
export function redact(text: string, secrets: ReadonlyArray<string | undefined>): string {
	return maskForms(text, secretForms(secrets));
}

/** Deeply redacts every string inside a JSON-like value. Returns a new value; the input is not changed. */
export function redactDeep<T>(value: T, secrets: ReadonlyArray<string | undefined>): T {
	const forms = secretForms(secrets);
	if (forms.length === 0) return value;
	const walk = (v: unknown): unknown => {
		if (typeof v === 'string') return maskForms(v, forms);
		if (Array.isArray(v)) return v.map(walk);
		if (v && typeof v === 'object') {
			const out: Record<string, unknown> = {};
			for (const [k, inner] of Object.entries(v as Record<string, unknown>)) out[maskForms(k, forms)] = walk(inner);
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

/** Headers that always carry a secret. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Words of a name that mark a secret (compared in lower case): `X-Api-Key`, `access_token`, `clientSecret`, … */
const SECRET_WORDS = new Set(['token', 'secret', 'password', 'passwd', 'pwd', 'apikey', 'auth', 'authorization', 'credential', 'credentials', 'cookie']);
/** Pairs of words that mark a secret: `api key`, `access key`, `private key`, `session id`. */
const SECRET_PAIRS = new Set(['api key', 'access key', 'private key', 'secret key', 'session id']);

/** The words of a name: split at anything but letters and digits and at camelCase humps, lower case. */
function wordsOf(name: string): string[] {
	return name
		.replace(/([a-z0-9])([A-Z])/g, '$1 $2')
		.split(/[^A-Za-z0-9]+/)
		.filter((w) => w !== '')
		.map((w) => w.toLowerCase());
}

/** Whether a name says its value is a secret: `token`, `apiKey`, `api_key`, `X-Auth-Token`, `client-secret`, `password`. */
export function isSecretName(name: string): boolean {
	const words = wordsOf(name);
	if (words.some((w) => SECRET_WORDS.has(w))) return true;
	for (let i = 1; i < words.length; i++) if (SECRET_PAIRS.has(`${words[i - 1]} ${words[i]}`)) return true;
	return false;
}

/** Whether a header's value is a secret: Authorization, Proxy-Authorization, Cookie, or a secret-like name (X-Api-Key, X-Auth-Token). */
export function isSecretHeader(name: string): boolean {
	return SECRET_HEADERS.has(name.toLowerCase()) || isSecretName(name);
}
