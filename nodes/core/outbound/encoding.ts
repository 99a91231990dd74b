/**
 * Encoding of an outbound's parameters into the exact request that is sent: JSON or form (UTF-8) bodies for
 * POST, PUT and PATCH, or the query string for GET and DELETE (appended to a query the URL already has, as in WP
 * Fusion's `https://x/?wpf_action=add&access_key=…`). No n8n imports.
 */
import { encodeFormComponent } from '../secrets';

/** KlickTipp's own two (POST, GET) and what CRM APIs use to update (PUT, PATCH) and delete (DELETE). */
export const OUTBOUND_METHODS = ['POST', 'GET', 'PUT', 'PATCH', 'DELETE'] as const;
export type OutboundMethod = (typeof OUTBOUND_METHODS)[number];
export type OutboundFormat = 'json' | 'form';

export function isOutboundMethod(value: string): value is OutboundMethod {
	return (OUTBOUND_METHODS as readonly string[]).includes(value);
}

/**
 * The body rule: POST, PUT and PATCH carry the parameters in a body (JSON or form); GET and DELETE in the URL query
 * and send no body. A DELETE body has no defined meaning (RFC 9110 §9.3.5) and some servers and proxies drop or
 * refuse it; CRM APIs delete by URL (`DELETE /contacts/{id}`), so the ID goes into the URL as a placeholder.
 */
export function hasBody(method: OutboundMethod): boolean {
	return method !== 'GET' && method !== 'DELETE';
}

export interface EncodedRequest {
	method: OutboundMethod;
	url: string;
	/** The exact body string that is sent (UTF-8), or null for GET and DELETE. */
	body: string | null;
	/** Content-Type header for the body, or null for GET and DELETE. */
	contentType: string | null;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=utf-8';

/** `a=1&b=2` with form encoding (UTF-8, spaces as `+`). */
export function formEncode(params: ReadonlyArray<readonly [string, string]>): string {
	return params.map(([k, v]) => `${encodeFormComponent(k)}=${encodeFormComponent(v)}`).join('&');
}

/** JSON object of the parameters, in order. */
export function jsonEncode(params: ReadonlyArray<readonly [string, string]>): string {
	const obj: Record<string, string> = Object.create(null) as Record<string, string>; // '__proto__' stays a key
	for (const [k, v] of params) obj[k] = v;
	return JSON.stringify(obj);
}

/**
 * Appends parameters to the URL's query, keeping any query (and fragment) it already has, byte for byte.
 * Parameters are form-encoded (what PHP's $_GET and most frameworks decode).
 */
export function appendQuery(url: string, params: ReadonlyArray<readonly [string, string]>): string {
	if (params.length === 0) return url;
	const hashAt = url.indexOf('#');
	const base = hashAt === -1 ? url : url.slice(0, hashAt);
	const fragment = hashAt === -1 ? '' : url.slice(hashAt);
	const query = formEncode(params);
	let joined: string;
	if (!base.includes('?')) joined = `${base}?${query}`;
	else if (base.endsWith('?') || base.endsWith('&')) joined = `${base}${query}`;
	else joined = `${base}&${query}`;
	return joined + fragment;
}

export function encodeRequest(
	method: OutboundMethod,
	format: OutboundFormat,
	url: string,
	params: ReadonlyArray<readonly [string, string]>,
): EncodedRequest {
	if (!hasBody(method)) {
		return { method, url: appendQuery(url, params), body: null, contentType: null };
	}
	if (format === 'form') {
		return { method, url, body: formEncode(params), contentType: FORM_CONTENT_TYPE };
	}
	return { method, url, body: jsonEncode(params), contentType: JSON_CONTENT_TYPE };
}
