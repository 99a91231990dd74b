/**
 * Types shared by the inbound (trigger) core. No n8n imports.
 */
import type { EventKind } from '../events';

/** A received parameter: a string (form, query, multipart) or any JSON value (JSON bodies). */
export type ParamValue = unknown;

/**
 * The flat parameter map of one request. Always created with a null prototype, so keys such as
 * `constructor` or `toString` are ordinary data.
 */
export type Params = Record<string, ParamValue>;

/** Why a request is refused. `status` is the HTTP status the trigger answers with. */
export interface Rejection {
	ok: false;
	/** 500: the trigger's own options are invalid (the reason names the option); nothing starts. */
	status: 400 | 401 | 403 | 415 | 422 | 500;
	reason: string;
	/** Extra response headers (e.g. WWW-Authenticate for Basic). */
	headers?: Record<string, string>;
}

export type EventTypeSetting = EventKind | 'auto';

/** Creates an empty parameter map without a prototype. */
export function emptyParams(): Params {
	return Object.create(null) as Params;
}

export function reject(status: Rejection['status'], reason: string, headers?: Record<string, string>): Rejection {
	return headers ? { ok: false, status, reason, headers } : { ok: false, status, reason };
}
