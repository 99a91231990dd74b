/**
 * Authentication of an outbound request from the `klickTippOutboundApi` credential: an API key placed by
 * `keyLocation`/`keyName` (a static value in the body — or the query for GET —, a query parameter, or a header),
 * HTTP Basic, or a Standard Webhooks signature over the exact bytes sent. No n8n imports.
 */
import { createHash } from 'crypto';
import { credentialSecretValues } from '../secrets';
import { signingKey, signPayload } from '../signature';
import type { EncodedRequest } from './encoding';
import { appendQuery } from './encoding';

export type OutboundAuthentication = 'none' | 'apiKey' | 'basicAuth' | 'signature';
export type KeyLocation = 'body' | 'query' | 'header';

export interface OutboundCredential {
	apiKey?: string;
	keyName?: string;
	keyLocation?: KeyLocation | string;
	username?: string;
	password?: string;
	signingSecret?: string;
}

export class AuthConfigError extends Error {}

/** The secrets of a credential that must never appear in output, preview or error messages. */
export function credentialSecrets(cred: OutboundCredential | undefined): string[] {
	return credentialSecretValues(cred);
}

/**
 * Checks that the credential holds what the chosen authentication needs. Returns a message (free of secrets)
 * or null when it is usable.
 */
export function credentialProblem(auth: OutboundAuthentication, cred: OutboundCredential | undefined): string | null {
	if (auth === 'none') return null;
	if (!cred) return 'No credential is selected';
	if (auth === 'apiKey') {
		if (!cred.apiKey) return 'The credential has no API key';
		if (!(cred.keyName ?? '').trim()) return 'The credential has no API key parameter name';
		if (!['body', 'query', 'header'].includes(String(cred.keyLocation ?? 'body'))) {
			return `The credential's API key location must be body, query or header`;
		}
		if ((cred.keyLocation ?? 'body') === 'header' && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cred.keyName!.trim())) {
			return 'The API key parameter name is not a valid HTTP header name';
		}
		if ((cred.keyLocation ?? 'body') === 'header' && /[\r\n\0]/.test(cred.apiKey)) {
			return 'The API key contains line breaks and cannot be sent in a header';
		}
		return null;
	}
	if (auth === 'basicAuth') {
		if (!cred.username) return 'The credential has no username';
		if (cred.username.includes(':')) return 'The Basic Auth username must not contain ":"';
		if (!cred.password) return 'The credential has no password';
		return null;
	}
	if (auth === 'signature') {
		try {
			signingKey(cred.signingSecret ?? '');
		} catch (error) {
			return (error as Error).message;
		}
		return null;
	}
	return `Unknown authentication "${String(auth)}"`;
}

/** Parameters the authentication adds to the request's own parameters (API key as a static value). */
export function authParams(
	auth: OutboundAuthentication,
	cred: OutboundCredential | undefined,
): Array<[string, string]> {
	if (auth === 'apiKey' && cred && (cred.keyLocation ?? 'body') === 'body') {
		return [[(cred.keyName ?? '').trim(), cred.apiKey ?? '']];
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
	auth: OutboundAuthentication,
	cred: OutboundCredential | undefined,
	extraHeaders: Record<string, string> = {},
): AuthorizedRequest {
	const headers: Record<string, string> = { ...extraHeaders };
	if (request.contentType) headers['content-type'] = request.contentType;
	const credentialHeaders: string[] = [];
	let url = request.url;
	if (auth === 'apiKey' && cred) {
		const where = cred.keyLocation ?? 'body';
		const name = (cred.keyName ?? '').trim();
		if (where === 'query') {
			// 'body' needs nothing here: authParams() made it a static value, which GET sends in the query.
			url = appendQuery(url, [[name, cred.apiKey ?? '']]);
		} else if (where === 'header') {
			headers[name.toLowerCase()] = cred.apiKey ?? '';
			credentialHeaders.push(name.toLowerCase());
		}
	}
	if (auth === 'basicAuth' && cred) {
		headers.authorization = `Basic ${Buffer.from(`${cred.username ?? ''}:${cred.password ?? ''}`, 'utf8').toString('base64')}`;
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
