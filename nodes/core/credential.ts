/**
 * The credential "KlickTipp Outbound API" (`klickTippOutboundApi`), one model for both nodes: the trigger checks
 * incoming requests against it, the action node authenticates and signs what it sends with it. Its fields as n8n
 * decrypts them (any may be missing or of another type), the authentication modes that use it, where an API key
 * travels, the one check of whether it fits a mode, and the values that must never be shown. No n8n imports.
 */
import { SECRET_PREFIX, signingKey } from './signature';

/** The n8n name of the credential type. */
export const CREDENTIAL_TYPE = 'klickTippOutboundApi';

export interface KlickTippCredential {
	apiKey?: unknown;
	keyName?: unknown;
	keyLocation?: unknown;
	username?: unknown;
	password?: unknown;
	signingSecret?: unknown;
	/** Added later: saved credentials without it keep working for every other mode. */
	bearerToken?: unknown;
}

/** The "Authentication" parameter of both nodes. */
export type AuthenticationMode = 'none' | 'apiKey' | 'basicAuth' | 'bearerToken' | 'signature';
export const AUTHENTICATION_MODES: readonly AuthenticationMode[] = ['none', 'apiKey', 'basicAuth', 'bearerToken', 'signature'];

/** The mode a parameter value names, or undefined for anything else. */
export function authenticationModeOf(value: unknown): AuthenticationMode | undefined {
	return AUTHENTICATION_MODES.find((mode) => mode === value);
}

/** Where an API key travels: a static value (body, or the query for GET), a URL query parameter, or a header. */
export type ApiKeyLocation = 'body' | 'query' | 'header';

/** The credential's API Key Location; missing or empty means body (the credential's default), anything unknown undefined. */
export function apiKeyLocation(credential: KlickTippCredential | undefined): ApiKeyLocation | undefined {
	const where = credential?.keyLocation;
	if (where === undefined || where === null || where === '') return 'body';
	return where === 'body' || where === 'query' || where === 'header' ? where : undefined;
}

/** An HTTP header name (RFC 9110 token). */
export function isHeaderName(name: string): boolean {
	return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name);
}

/** A header value that would split or end the header (CR, LF, NUL). */
export function breaksHeader(value: string): boolean {
	return /[\r\n\0]/.test(value);
}

function text(value: unknown): string {
	return typeof value === 'string' ? value : '';
}

/** The fields of the credential as strings ('' when missing or not text); the parameter name trimmed. */
export function credentialFields(credential: KlickTippCredential | undefined): {
	apiKey: string;
	keyName: string;
	username: string;
	password: string;
	signingSecret: string;
	bearerToken: string;
} {
	return {
		apiKey: text(credential?.apiKey),
		keyName: text(credential?.keyName).trim(),
		username: text(credential?.username),
		password: text(credential?.password),
		signingSecret: text(credential?.signingSecret),
		bearerToken: text(credential?.bearerToken),
	};
}

/** The part of the credential a mode uses. */
export type CredentialPart = 'apiKey' | 'basicAuth' | 'bearerToken' | 'signature';

/**
 * What keeps the credential from serving `part`, or null when it is usable. The message names the field and never
 * contains a secret value.
 */
export function credentialProblem(part: CredentialPart, credential: KlickTippCredential | undefined): string | null {
	const f = credentialFields(credential);
	if (part === 'apiKey') {
		if (!f.apiKey) return 'the API Key is empty';
		if (!f.keyName) return 'the API Key Parameter Name is empty';
		const where = apiKeyLocation(credential);
		if (!where) return 'the API Key Location must be body, query or header';
		if (where === 'header' && !isHeaderName(f.keyName)) return `"${f.keyName}" is not a valid HTTP header name`;
		if (where === 'header' && breaksHeader(f.apiKey)) return 'the API Key contains line breaks and cannot be sent in a header';
		return null;
	}
	if (part === 'basicAuth') {
		if (!f.username) return 'the Username is empty';
		if (!f.password) return 'the Password is empty';
		if (f.username.includes(':')) return 'the Username must not contain ":"';
		return null;
	}
	if (part === 'bearerToken') {
		if (!f.bearerToken.trim()) return 'the Bearer Token is empty';
		if (breaksHeader(f.bearerToken)) return 'the Bearer Token contains line breaks and cannot be sent in a header';
		return null;
	}
	try {
		signingKey(f.signingSecret);
		return null;
	} catch (error) {
		const message = (error as Error).message;
		return message.charAt(0).toLowerCase() + message.slice(1);
	}
}

/**
 * What must never show in an output item, a preview, an error or a log, for both nodes: the API key, the password,
 * the signing secret and the bearer token (each also trimmed), plus the spellings that reveal them as well: the Basic token (base64
 * of "username:password") and the key part of a `whsec_` signing secret.
 */
export function credentialSecretValues(credential: KlickTippCredential | undefined): string[] {
	if (!credential) return [];
	const out: string[] = [];
	for (const s of [credential.apiKey, credential.password, credential.signingSecret, credential.bearerToken]) {
		if (typeof s !== 'string' || s.length === 0) continue;
		out.push(s);
		if (s.trim() !== s && s.trim().length > 0) out.push(s.trim());
	}
	if (typeof credential.password === 'string' && credential.password !== '' && typeof credential.username === 'string') {
		out.push(Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64'));
	}
	const signing = typeof credential.signingSecret === 'string' ? credential.signingSecret.trim() : '';
	if (signing.startsWith(SECRET_PREFIX) && signing.length > SECRET_PREFIX.length) out.push(signing.slice(SECRET_PREFIX.length));
	return out;
}

/**
 * n8n's credential "Test" button: KlickTipp has nothing to test against, so every part that is filled in is checked
 * locally (an API key also for length). Messages never contain secret values.
 */
export function credentialTest(credential: KlickTippCredential): { ok: boolean; message: string } {
	const f = credentialFields(credential);
	const problems: string[] = [];
	const usable: string[] = [];
	const check = (part: CredentialPart, label: string, extra?: string | null) => {
		const problem = credentialProblem(part, credential) ?? extra ?? null;
		if (problem) problems.push(problem);
		else usable.push(label);
	};
	if (f.apiKey) {
		check(
			'apiKey',
			`API key (${apiKeyLocation(credential)} "${f.keyName}")`,
			f.apiKey.length < 16 ? 'the API Key is shorter than 16 characters (use a long random token)' : null,
		);
	}
	if (f.username || f.password) check('basicAuth', 'Basic Auth');
	if (f.bearerToken) check('bearerToken', 'Bearer token');
	if (f.signingSecret) check('signature', 'signature');
	if (problems.length > 0) return { ok: false, message: `Problem: ${problems.join('; ')}` };
	if (usable.length === 0) return { ok: false, message: 'The credential is empty: fill in an API key, Basic Auth, a bearer token or a signing secret' };
	return { ok: true, message: `Usable for: ${usable.join(', ')} (checked locally; KlickTipp has no test endpoint)` };
}
