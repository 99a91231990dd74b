/**
 * Authentication of an outbound request from the `klickTippOutboundApi` credential: an API key placed by
 * `keyLocation`/`keyName` (a static value in the body — or the query for GET —, a query parameter, or a header),
 * HTTP Basic, or a Standard Webhooks signature over the exact bytes sent. No n8n imports.
 */
import { createHash } from 'crypto';
import type { AuthenticationMode, KlickTippCredential } from '../credential';
import { apiKeyLocation, credentialFields } from '../credential';
import { signPayload } from '../signature';
import type { EncodedRequest, OutboundMethod } from './encoding';
import { appendQuery, formEncode, hasBody, jsonEncode } from './encoding';

/**
 * The parameter name the authentication adds to the request's own parameters (the API key as a static value), so
 * the mapping can refuse a field of the same name; none for other authentications.
 */
export function authParamNames(auth: AuthenticationMode, cred: KlickTippCredential | undefined): string[] {
	return auth === 'apiKey' && cred && apiKeyLocation(cred) === 'body' ? [credentialFields(cred).keyName] : [];
}

/**
 * A stable `webhook-id` for one delivery of one item: the same outbound and the same event (or, without an
 * event ID, the same parameters) always give the same ID, so retries — ours and a re-run of the execution —
 * reuse it and receivers can de-duplicate.
 */
export function webhookIdFor(outboundName: string, eventId: string | undefined, canonical: string): string {
	const h = createHash('sha256');
	h.update(outboundName, 'utf8');
	h.update('\0');
	h.update(eventId ? `event:${eventId}` : `params:${canonical}`, 'utf8');
	return `msg_${h.digest('base64url').slice(0, 32)}`;
}

/**
 * The request as built before authentication: method, URL, exact body, the configured headers (and the content
 * type), the webhook-id and the authentication to apply. It holds no secret, so it is what a delivery record keeps
 * and what Redeliver sends again: `authorize` adds the credential at send time, the signature is added per attempt.
 */
export interface ReplayRequest {
	method: OutboundMethod;
	url: string;
	/** The exact body string (UTF-8), or null for GET. */
	body: string | null;
	/** Header names in lower case. */
	headers: Record<string, string>;
	webhookId: string;
	authentication: AuthenticationMode;
}

/** The replayable request of an encoded request (before authentication). */
export function replayRequest(
	request: EncodedRequest,
	headers: Record<string, string>,
	webhookId: string,
	authentication: AuthenticationMode,
): ReplayRequest {
	const all: Record<string, string> = { ...headers };
	if (request.contentType) all['content-type'] = request.contentType;
	return { method: request.method, url: request.url, body: request.body, headers: all, webhookId, authentication };
}

export interface AuthorizedRequest extends EncodedRequest {
	headers: Record<string, string>;
	/** Headers that carry credentials and must be dropped on a redirect to another origin. */
	credentialHeaders: string[];
}

/** Adds one parameter to an encoded body, as if it had been the last parameter encoded (JSON object or form). */
function withBodyParam(body: string | null, contentType: string, param: [string, string]): string {
	if (/^application\/json/i.test(contentType)) {
		const parsed = JSON.parse(body || '{}') as unknown;
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('The JSON body is not an object');
		return jsonEncode([...Object.entries(parsed as Record<string, string>), param]);
	}
	const added = formEncode([param]);
	return body ? `${body}&${added}` : added;
}

/**
 * Applies the credential to a request built before authentication: the API key as a static value (the body, or the
 * query for GET and DELETE), a query parameter or a header; HTTP Basic; or `Authorization: Bearer <token>`. The request's own authentication decides. Signatures
 * are added per attempt by `signRequest` (the timestamp is part of the signed content). Throws when an API key
 * static value cannot be added to the body (not the JSON object or form the outbound sends).
 */
export function authorize(request: ReplayRequest, cred: KlickTippCredential | undefined): AuthorizedRequest {
	const headers: Record<string, string> = { ...request.headers };
	const contentType = headers['content-type'] ?? null;
	const credentialHeaders: string[] = [];
	let { url, body } = request;
	const { apiKey, keyName, username, password, bearerToken } = credentialFields(cred);
	if (request.authentication === 'apiKey' && cred) {
		const where = apiKeyLocation(cred);
		if (where === 'query' || (where === 'body' && !hasBody(request.method))) {
			url = appendQuery(url, [[keyName, apiKey]]);
		} else if (where === 'body') {
			body = withBodyParam(body, contentType ?? '', [keyName, apiKey]);
		} else if (where === 'header') {
			headers[keyName.toLowerCase()] = apiKey;
			credentialHeaders.push(keyName.toLowerCase());
		}
	}
	if (request.authentication === 'basicAuth' && cred) {
		headers.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
		credentialHeaders.push('authorization');
	}
	if (request.authentication === 'bearerToken' && cred) {
		headers.authorization = `Bearer ${bearerToken.trim()}`;
		credentialHeaders.push('authorization');
	}
	return { method: request.method, url, body, contentType, headers, credentialHeaders };
}

/** Standard Webhooks headers for the exact body bytes sent (an empty body for GET). */
export function signRequest(
	request: AuthorizedRequest,
	secret: string,
	webhookId: string,
	nowSeconds: number,
): Record<string, string> {
	const signed = signPayload(secret, webhookId, request.body ?? '', nowSeconds);
	return { ...request.headers, ...signed };
}
