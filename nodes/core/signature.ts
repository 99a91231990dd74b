/**
 * Standard Webhooks signing and verification (https://www.standardwebhooks.com/):
 * headers `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
 * Secrets are `whsec_<base64>` (the key is the decoded bytes, as in the reference library `standardwebhooks`) or any
 * plain string: its UTF-8 bytes are the key, as with the library's `format: 'raw'`; the library's default would
 * base64-decode it (a documented choice, see docs/outbound.md; tested against the library both ways). Several space-separated signatures are accepted (key rotation). No n8n imports.
 */
import { createHmac, timingSafeEqual } from 'crypto';
import { headerValue } from './lookup';

export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** The prefix of a Standard Webhooks secret whose rest is the base64 key. */
export const SECRET_PREFIX = 'whsec_';

export type SignatureHeaders = {
	'webhook-id': string;
	'webhook-timestamp': string;
	'webhook-signature': string;
};

export class SigningSecretError extends Error {}

/** Decodes a signing secret into key bytes. Throws SigningSecretError (never containing the secret). */
export function signingKey(secret: string): Buffer {
	if (typeof secret !== 'string' || secret.trim() === '') {
		throw new SigningSecretError('The signing secret is empty');
	}
	const trimmed = secret.trim();
	if (trimmed.startsWith(SECRET_PREFIX)) {
		const b64 = trimmed.slice(SECRET_PREFIX.length);
		if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 === 1) {
			throw new SigningSecretError('The signing secret starts with "whsec_" but the rest is not valid base64');
		}
		const key = Buffer.from(b64, 'base64');
		if (key.length < 16) throw new SigningSecretError('The signing secret is shorter than 16 bytes');
		return key;
	}
	return Buffer.from(trimmed, 'utf8');
}

/** The base64 HMAC-SHA256 of `id.timestamp.body`. */
export function computeSignature(key: Buffer, id: string, timestamp: string, body: Buffer | string): string {
	const hmac = createHmac('sha256', key);
	hmac.update(`${id}.${timestamp}.`, 'utf8');
	hmac.update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
	return hmac.digest('base64');
}

/** Builds the three Standard Webhooks headers for the exact bytes that will be sent. */
export function signPayload(
	secret: string,
	id: string,
	body: Buffer | string,
	timestampSeconds: number = Math.floor(Date.now() / 1000),
): SignatureHeaders {
	const timestamp = String(Math.floor(timestampSeconds));
	const signature = computeSignature(signingKey(secret), id, timestamp, body);
	return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

export type VerifyResult =
	| { ok: true; id: string; timestamp: number }
	| { ok: false; reason: string };

/**
 * Verifies Standard Webhooks headers over the raw body. Header lookup is case-insensitive. The reason of a
 * failure never contains the secret or the expected signature.
 */
export function verifySignature(
	secret: string,
	headers: Record<string, string | string[] | undefined>,
	rawBody: Buffer | string,
	nowSeconds: number = Math.floor(Date.now() / 1000),
	toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): VerifyResult {
	const id = headerValue(headers, 'webhook-id');
	const timestamp = headerValue(headers, 'webhook-timestamp');
	const signatures = headerValue(headers, 'webhook-signature');
	if (!id || !timestamp || !signatures) {
		return { ok: false, reason: 'Missing webhook-id, webhook-timestamp or webhook-signature header' };
	}
	if (!/^\d{1,15}$/.test(timestamp.trim())) {
		return { ok: false, reason: 'The webhook-timestamp header is not a Unix timestamp in seconds' };
	}
	const ts = Number(timestamp.trim());
	if (Math.abs(nowSeconds - ts) > toleranceSeconds) {
		return { ok: false, reason: `The webhook-timestamp is more than ${toleranceSeconds} seconds off` };
	}
	let key: Buffer;
	try {
		key = signingKey(secret);
	} catch (error) {
		return { ok: false, reason: (error as Error).message };
	}
	const expected = Buffer.from(computeSignature(key, id, timestamp.trim(), rawBody), 'base64');
	for (const part of signatures.split(' ')) {
		const [version, value] = part.split(',', 2);
		if (version !== 'v1' || !value) continue;
		const given = Buffer.from(value, 'base64');
		if (given.length === expected.length && timingSafeEqual(given, expected)) {
			return { ok: true, id, timestamp: ts };
		}
	}
	return { ok: false, reason: 'No webhook-signature matches the body' };
}
