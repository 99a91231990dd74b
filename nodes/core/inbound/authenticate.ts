/**
 * Authentication of incoming KlickTipp outbound requests: none, API key (static value, query or header),
 * HTTP Basic, a bearer token, or a Standard Webhooks signature over the raw body. Secrets are compared in constant time and
 * never appear in a reason. An incomplete credential always rejects. No n8n imports.
 */
import type { AuthenticationMode, CredentialPart, KlickTippCredential } from '../credential';
import { apiKeyLocation, credentialFields, credentialProblem } from '../credential';
import { headerValue } from '../lookup';
import { secretsEqual } from '../secrets';
import { verifySignature } from '../signature';
import type { Params, Rejection } from './types';
import { reject } from './types';

export const BASIC_REALM = 'KlickTipp Outbound';
export const WWW_AUTHENTICATE = `Basic realm="${BASIC_REALM}"`;

export interface AuthRequest {
	method: 'GET' | 'POST';
	headers: Record<string, string | string[] | undefined>;
	/** Parameters of the URL query. */
	query: Params;
	/** Parameters of the body. */
	body: Params;
	/** The exact body bytes; undefined when n8n did not keep them (multipart). */
	rawBody?: Buffer;
	/** Media type without parameters. */
	contentType: string;
}

export type AuthResult = { ok: true; webhookId?: string } | Rejection;

const INCOMPLETE = 'The trigger\'s credential "KlickTipp Outbound API" is incomplete';

function unauthorized(reason: string, basic = false): Rejection {
	return reject(401, reason, basic ? { 'WWW-Authenticate': WWW_AUTHENTICATE } : undefined);
}

/** Where the API key is looked for, as a sentence fragment for reasons. */
function describeLocation(keyLocation: string, method: string, name: string): string {
	if (keyLocation === 'header') return `the header "${name}"`;
	if (keyLocation === 'query') return `the URL query parameter "${name}"`;
	return method === 'GET' ? `the query parameter "${name}" (static value)` : `the body parameter "${name}" (static value)`;
}

function findParam(params: Params, name: string): unknown {
	return Object.prototype.hasOwnProperty.call(params, name) ? params[name] : undefined;
}

/** The 401 for a credential that cannot serve `part` (see credentialProblem), or null. */
function incomplete(part: CredentialPart, credential: KlickTippCredential): Rejection | null {
	const problem = credentialProblem(part, credential);
	return problem ? unauthorized(`${INCOMPLETE}: ${problem}`, part === 'basicAuth') : null;
}

export function checkApiKey(credential: KlickTippCredential, request: AuthRequest): AuthResult {
	const problem = incomplete('apiKey', credential);
	if (problem) return problem;
	const { apiKey, keyName } = credentialFields(credential);
	const keyLocation = apiKeyLocation(credential)!;
	let received: unknown;
	if (keyLocation === 'header') {
		received = headerValue(request.headers, keyName);
		if (typeof received === 'string' && /^bearer\s+/i.test(received) && !secretsEqual(received, apiKey)) {
			received = received.replace(/^bearer\s+/i, '');
		}
	} else if (keyLocation === 'query' || request.method === 'GET') {
		received = findParam(request.query, keyName);
	} else {
		received = findParam(request.body, keyName);
	}
	const where = describeLocation(keyLocation, request.method, keyName);
	if (received === undefined || received === '') return unauthorized(`API key missing: expected it in ${where}`);
	if (typeof received !== 'string') return unauthorized(`API key invalid: ${where} was sent more than once or is not text`);
	if (!secretsEqual(received, apiKey)) return unauthorized(`API key invalid: the value of ${where} does not match`);
	return { ok: true };
}

export function checkBasicAuth(credential: KlickTippCredential, request: AuthRequest): AuthResult {
	const problem = incomplete('basicAuth', credential);
	if (problem) return problem;
	const { username, password } = credentialFields(credential);
	const header = headerValue(request.headers, 'authorization');
	if (!header) return unauthorized('Basic authentication required: no Authorization header', true);
	const match = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
	if (!match) return unauthorized('Basic authentication required: the Authorization header is not "Basic <base64>"', true);
	const decoded = Buffer.from(match[1], 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return unauthorized('Basic authentication failed: the credentials are not "user:password"', true);
	const userOk = secretsEqual(decoded.slice(0, colon), username);
	const passOk = secretsEqual(decoded.slice(colon + 1), password);
	if (!(userOk && passOk)) return unauthorized('Basic authentication failed: wrong username or password', true);
	return { ok: true };
}

/** `Authorization: Bearer <token>` (the scheme in any case), the token compared in constant time. */
export function checkBearerToken(credential: KlickTippCredential, request: AuthRequest): AuthResult {
	const problem = incomplete('bearerToken', credential);
	if (problem) return problem;
	const header = headerValue(request.headers, 'authorization');
	if (!header) return unauthorized('Bearer token required: no Authorization header');
	const match = /^bearer\s+(\S+)\s*$/i.exec(header);
	if (!match) return unauthorized('Bearer token required: the Authorization header is not "Bearer <token>"');
	if (!secretsEqual(match[1], credentialFields(credential).bearerToken.trim())) {
		return unauthorized('Bearer token invalid: the token in the Authorization header does not match');
	}
	return { ok: true };
}

export function checkSignature(credential: KlickTippCredential, request: AuthRequest, nowSeconds: number): AuthResult {
	const problem = incomplete('signature', credential);
	if (problem) return problem;
	const secret = credentialFields(credential).signingSecret;
	if (request.method === 'GET') {
		return unauthorized('Signature authentication needs a POST with a JSON or form-urlencoded body; a GET query is not covered by a signature');
	}
	if (request.rawBody === undefined) {
		const kind = request.contentType || 'this content type';
		return unauthorized(
			`A signature cannot be verified for ${kind}: n8n does not keep the raw bytes of such a body. Send application/json or application/x-www-form-urlencoded`,
		);
	}
	const result = verifySignature(secret, request.headers, request.rawBody, nowSeconds);
	if (!result.ok) return unauthorized(`Signature invalid: ${result.reason}`);
	return { ok: true, webhookId: result.id };
}

/** Authenticates a request. `credential` may be undefined only for mode `none`. */
export function authenticate(
	mode: AuthenticationMode,
	credential: KlickTippCredential | undefined,
	request: AuthRequest,
	nowSeconds: number = Math.floor(Date.now() / 1000),
): AuthResult {
	if (mode === 'none') return { ok: true };
	if (!credential || typeof credential !== 'object') {
		return unauthorized(`${INCOMPLETE}: no credential is selected or it cannot be loaded`, mode === 'basicAuth');
	}
	if (mode === 'apiKey') return checkApiKey(credential, request);
	if (mode === 'basicAuth') return checkBasicAuth(credential, request);
	if (mode === 'bearerToken') return checkBearerToken(credential, request);
	return checkSignature(credential, request, nowSeconds);
}
