/**
 * Authentication of an outbound request from the `klickTippOutboundApi` credential: an API key placed by
 * `keyLocation`/`keyName` (a static value in the body — or the query for GET —, a query parameter, or a header),
 * HTTP Basic, or a Standard Webhooks signature over the exact bytes sent. No n8n imports.
 */
import { createHash } from 'crypto';
import type { AuthenticationMode, KlickTippCredential } from '../credential';
import { apiKeyLocation, credentialFields } from '../credential';
import { signPayload } from '../signature';
import type { EncodedRequest } from './encoding';
import { appendQuery } from './encoding';

/** Parameters the authentication adds to the request's own parameters (API key as a static value). */
export function authParams(auth: AuthenticationMode, cred: KlickTippCredential | undefined): Array<[string, string]> {
	if (auth === 'apiKey' && cred && apiKeyLocation(cred) === 'body') {
		const { keyName, apiKey } = credentialFields(cred);
		return [[keyName, apiKey]];
	}
	return [];
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

export interface AuthorizedRequest extends EncodedRequest {
	headers: Record<string, string>;
	/** Headers that carry credentials and must be dropped on a redirect to another origin. */
	credentialHeaders: string[];
}

/**
 * Applies query/header API keys and Basic Auth to an encoded request. Signatures are added per attempt by
 * `signRequest` (the timestamp is part of the signed content).
 */
export function applyAuth(
	request: EncodedRequest,
	auth: AuthenticationMode,
	cred: KlickTippCredential | undefined,
	extraHeaders: Record<string, string> = {},
): AuthorizedRequest {
	const headers: Record<string, string> = { ...extraHeaders };
	if (request.contentType) headers['content-type'] = request.contentType;
	const credentialHeaders: string[] = [];
	let url = request.url;
	const { apiKey, keyName, username, password } = credentialFields(cred);
	if (auth === 'apiKey' && cred) {
		const where = apiKeyLocation(cred);
		if (where === 'query') {
			// 'body' needs nothing here: authParams() made it a static value, which GET sends in the query.
			url = appendQuery(url, [[keyName, apiKey]]);
		} else if (where === 'header') {
			headers[keyName.toLowerCase()] = apiKey;
			credentialHeaders.push(keyName.toLowerCase());
		}
	}
	if (auth === 'basicAuth' && cred) {
		headers.authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
		credentialHeaders.push('authorization');
	}
	return { ...request, url, headers, credentialHeaders };
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
