/**
 * Request parsing for the KlickTipp Outbound Trigger: turns a GET query or a POST body
 * (application/x-www-form-urlencoded, multipart/form-data, application/json) into one flat parameter map,
 * or a rejection (400 / 415) with a reason. Never throws. No n8n imports.
 *
 * Rules (documented in docs/trigger.md):
 * - The raw body is parsed when it is available (identical behaviour in tests and in n8n); otherwise the body
 *   n8n already parsed is used. Multipart is always read from n8n's formidable result `{ data, files }`: n8n parses
 *   it itself and keeps no raw bytes of it (test/e2e/trigger.test.ts, "multipart: …").
 * - Form and query: UTF-8 by default (`charset=iso-8859-1` / `windows-1252` / `us-ascii` also understood),
 *   `+` is a space, a `%` not followed by two hex digits is kept literally, bytes that are not valid UTF-8 → 400.
 * - Duplicate keys keep **all** values as an array in the order received (`a=1&a=2` → `a: ['1', '2']`).
 * - Keys are taken literally: `a[b]=1` is the key `a[b]`; nothing is nested.
 * - POST: query parameters of the URL and body parameters are merged; on a conflict the body wins.
 * - POST with a body but no Content-Type (some senders omit it; n8n still keeps the raw bytes): a body that is
 *   unmistakably form data (`key=value` pairs joined by `&`, only characters a form encoder leaves as they are)
 *   is read as form, one that is a JSON object as JSON; the item says so in `request.contentType`
 *   (NO_CONTENT_TYPE_FORM / NO_CONTENT_TYPE_JSON). Anything else stays a 415.
 * - Keys named `__proto__` are refused (400); all maps have a null prototype.
 * - At most MAX_PARAMS parameters (more → 400, never silently truncated); JSON nested at most MAX_JSON_DEPTH.
 */
import type { Params, Rejection } from './types';
import { emptyParams, reject } from './types';

export const MAX_PARAMS = 1000;
export const MAX_JSON_DEPTH = 32;

export interface InboundRequest {
	method: string;
	/** The Content-Type header as sent (with parameters such as charset and boundary). */
	contentType?: string;
	/** The exact body bytes, when available (n8n keeps them for everything except multipart). */
	rawBody?: Buffer;
	/** The body n8n already parsed (used when there is no raw body). */
	body?: unknown;
	/** The query n8n / express already parsed (used when `url` is absent). */
	query?: unknown;
	/** The request URL (path and query); its query string is parsed when present. */
	url?: string;
}

export type BodyFormat = 'none' | 'form' | 'multipart' | 'json';

/** `request.contentType` of a body sent without Content-Type and read as form data / as a JSON object. */
export const NO_CONTENT_TYPE_FORM = '(none; read as form)';
export const NO_CONTENT_TYPE_JSON = '(none; read as JSON)';

export interface ParsedRequest {
	ok: true;
	method: 'GET' | 'POST';
	/**
	 * The media type without parameters, lower case ('' when none was sent and the body was empty;
	 * NO_CONTENT_TYPE_FORM / NO_CONTENT_TYPE_JSON when none was sent and the body was read as form / JSON).
	 */
	contentType: string;
	format: BodyFormat;
	/** Query and body merged (body wins). */
	params: Params;
	query: Params;
	body: Params;
}

export type ParseResult = ParsedRequest | Rejection;

/** Parameters, or why they cannot be read. */
export type ParamsResult = { ok: true; params: Params } | Rejection;

function parsed(params: Params): ParamsResult {
	return { ok: true, params };
}

export interface ContentType {
	type: string;
	charset?: string;
	boundary?: string;
}

/** Splits a Content-Type header into its media type (lower case) and the charset / boundary parameters. */
export function parseContentType(header: unknown): ContentType | undefined {
	if (typeof header !== 'string' || header.trim() === '') return undefined;
	const [type, ...rest] = header.split(';');
	const result: ContentType = { type: type.trim().toLowerCase() };
	for (const part of rest) {
		const eq = part.indexOf('=');
		if (eq < 0) continue;
		const name = part.slice(0, eq).trim().toLowerCase();
		let value = part.slice(eq + 1).trim();
		if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
		if (name === 'charset') result.charset = value.toLowerCase();
		else if (name === 'boundary') result.boundary = value;
	}
	return result;
}

type Charset = 'utf-8' | 'latin1';

function resolveCharset(charset: string | undefined): Charset | undefined {
	if (charset === undefined || charset === '' || charset === 'utf-8' || charset === 'utf8') return 'utf-8';
	if (['iso-8859-1', 'latin1', 'iso8859-1', 'windows-1252', 'cp1252', 'us-ascii', 'ascii'].includes(charset)) {
		return 'latin1';
	}
	return undefined;
}

/** One strict decoder for every call (decode() without { stream } keeps no state between calls). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes bytes; UTF-8 is decoded strictly (undefined when the bytes are not valid UTF-8). */
export function decodeBytes(bytes: Buffer, charset: Charset = 'utf-8'): string | undefined {
	if (charset === 'latin1') return bytes.toString('latin1');
	try {
		return UTF8.decode(bytes);
	} catch {
		return undefined;
	}
}

function isHex(byte: number): boolean {
	return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66);
}

/** Form decoding of one component at byte level: `+` → space, `%XY` → byte, a lone `%` stays. */
function formDecodeBytes(bytes: Buffer): Buffer {
	const out = Buffer.allocUnsafe(bytes.length);
	let n = 0;
	for (let i = 0; i < bytes.length; i++) {
		const b = bytes[i];
		if (b === 0x2b) {
			out[n++] = 0x20;
		} else if (b === 0x25 && i + 2 < bytes.length + 0 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
			out[n++] = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
			i += 2;
		} else {
			out[n++] = b;
		}
	}
	return out.subarray(0, n);
}

/** Adds a value; a repeated key collects its values in an array (order kept). */
function addParam(params: Params, key: string, value: unknown): Rejection | undefined {
	if (key === '__proto__') return reject(400, 'A parameter named "__proto__" is not allowed');
	if (Object.prototype.hasOwnProperty.call(params, key)) {
		const existing = params[key];
		params[key] = Array.isArray(existing) ? [...(existing as unknown[]), value] : [existing, value];
		return undefined;
	}
	if (Object.keys(params).length >= MAX_PARAMS) {
		return reject(400, `More than ${MAX_PARAMS} parameters`);
	}
	params[key] = value;
	return undefined;
}

function printable(text: string, max = 80): string {
	const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
	return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** Parses `application/x-www-form-urlencoded` bytes (or a query string) into parameters. */
export function parseUrlEncoded(input: Buffer | string, charsetName?: string): ParamsResult {
	const charset = resolveCharset(charsetName);
	if (!charset) return reject(415, `The charset "${printable(charsetName ?? '')}" is not supported; send UTF-8`);
	const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
	const params = emptyParams();
	let start = 0;
	while (start <= bytes.length) {
		let end = bytes.indexOf(0x26, start); // '&'
		if (end < 0) end = bytes.length;
		const pair = bytes.subarray(start, end);
		start = end + 1;
		if (pair.length === 0) continue;
		const eq = pair.indexOf(0x3d); // '='
		const rawKey = eq < 0 ? pair : pair.subarray(0, eq);
		const rawValue = eq < 0 ? Buffer.alloc(0) : pair.subarray(eq + 1);
		const key = decodeBytes(formDecodeBytes(rawKey), charset);
		const value = decodeBytes(formDecodeBytes(rawValue), charset);
		if (key === undefined) return reject(400, 'A parameter name is not valid UTF-8');
		if (value === undefined) return reject(400, `The value of parameter "${printable(key)}" is not valid UTF-8`);
		if (key === '') {
			if (value === '') continue;
			return reject(400, 'A parameter without a name was sent');
		}
		const problem = addParam(params, key, value);
		if (problem) return problem;
	}
	return parsed(params);
}

function checkJson(value: unknown, depth: number): Rejection | undefined {
	if (depth > MAX_JSON_DEPTH) return reject(400, `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
	if (Array.isArray(value)) {
		for (const item of value) {
			const problem = checkJson(item, depth + 1);
			if (problem) return problem;
		}
	} else if (value !== null && typeof value === 'object') {
		for (const [key, inner] of Object.entries(value)) {
			if (key === '__proto__') return reject(400, 'A JSON key named "__proto__" is not allowed');
			const problem = checkJson(inner, depth + 1);
			if (problem) return problem;
		}
	}
	return undefined;
}

/** Turns an already parsed JSON value into parameters: only an object is accepted. */
export function paramsFromJson(value: unknown): ParamsResult {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
		return reject(400, `The JSON body must be an object of parameters, not ${kind}`);
	}
	const problem = checkJson(value, 1);
	if (problem) return problem;
	const params = emptyParams();
	for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
		const added = addParam(params, key, inner);
		if (added) return added;
	}
	return parsed(params);
}

/** Parses the bytes of an application/json body. */
export function parseJsonBody(raw: Buffer): ParamsResult {
	const text = decodeBytes(raw, 'utf-8');
	if (text === undefined) return reject(400, 'The JSON body is not valid UTF-8');
	let value: unknown;
	try {
		value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
	} catch (error) {
		return reject(400, `The JSON body cannot be parsed: ${printable((error as Error).message, 120)}`);
	}
	return paramsFromJson(value);
}

/**
 * Normalises a map that n8n or express already parsed (querystring, formidable): a one-element array becomes its
 * value, arrays stay arrays, numbers and booleans become strings, nested objects are kept as they are.
 */
export function paramsFromParsedObject(value: unknown): ParamsResult {
	const params = emptyParams();
	if (value === undefined || value === null) return parsed(params);
	if (typeof value !== 'object' || Array.isArray(value)) return reject(400, 'The parameters are not a key/value map');
	for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
		let v: unknown = inner;
		if (Array.isArray(v)) {
			const items = v.map((x) => (typeof x === 'number' || typeof x === 'boolean' ? String(x) : x));
			v = items.length === 1 ? items[0] : items;
		} else if (typeof v === 'number' || typeof v === 'boolean') {
			v = String(v);
		}
		if (v === undefined) continue;
		const problem = checkJson(v, 1) ?? addParam(params, key, v);
		if (problem) return problem;
	}
	return parsed(params);
}

function isEmptyBody(request: InboundRequest): boolean {
	if (request.rawBody !== undefined) return request.rawBody.length === 0;
	const body = request.body;
	if (body === undefined || body === null || body === '') return true;
	if (typeof body !== 'object') return false;
	const keys = Object.keys(body);
	if (keys.length === 0) return true;
	// n8n's multipart result without any field or file
	const b = body as { data?: unknown; files?: unknown };
	if (keys.every((k) => k === 'data' || k === 'files')) {
		const emptyObj = (x: unknown) => x === undefined || (typeof x === 'object' && x !== null && Object.keys(x).length === 0);
		return emptyObj(b.data) && emptyObj(b.files);
	}
	return false;
}

function parseQuery(request: InboundRequest): ParamsResult {
	if (typeof request.url === 'string') {
		const q = request.url.indexOf('?');
		if (q < 0) return parsed(emptyParams());
		let query = request.url.slice(q + 1);
		const hash = query.indexOf('#');
		if (hash >= 0) query = query.slice(0, hash);
		return parseUrlEncoded(query, 'utf-8');
	}
	return paramsFromParsedObject(request.query);
}

const SUPPORTED = 'application/x-www-form-urlencoded, multipart/form-data or application/json';

/**
 * Bytes a form encoder may leave unescaped: letters, digits, `-._~*+%=&` and the URL characters `!'(),;:/?@[]$`,
 * plus UTF-8 bytes (>= 0x80; checked for validity when decoded). Not whitespace, control characters, quotes,
 * backslash, backtick or any of # < > ^ { | }.
 */
const FORM_BYTE = (() => {
	const table = new Uint8Array(256);
	for (let b = 0x80; b < 0x100; b++) table[b] = 1;
	for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~*+%=&!'(),;:/?@[]$") {
		table[ch.charCodeAt(0)] = 1;
	}
	return table;
})();

/**
 * Whether a body without Content-Type is unmistakably form data: only FORM_BYTE characters, every `%` starts a
 * `%XY` escape, and every `&`-separated pair is `name=value` with a non-empty name (at least one such pair).
 */
export function looksLikeForm(raw: Buffer): boolean {
	let pairStart = true;
	let sawEquals = false;
	let pairs = 0;
	for (let i = 0; i < raw.length; i++) {
		const b = raw[i];
		if (FORM_BYTE[b] === 0) return false;
		if (b === 0x26) {
			// '&': the pair before it must have had its '=' (an empty pair, as in "a=1&&b=2", is allowed)
			if (!pairStart && !sawEquals) return false;
			pairStart = true;
			sawEquals = false;
		} else if (b === 0x3d) {
			if (pairStart) return false; // '=' with an empty name
			if (!sawEquals) pairs++;
			sawEquals = true;
		} else {
			if (b === 0x25 && !(isHex(raw[i + 1]) && isHex(raw[i + 2]))) return false;
			pairStart = false;
		}
	}
	return pairs > 0 && (sawEquals || pairStart);
}

/** A body without Content-Type: form data or a JSON object, read as such; anything else is a 415. */
function parseUntypedBody(raw: Buffer | undefined): { format: BodyFormat; contentType: string; params: ParamsResult } {
	const unsupported = {
		format: 'none' as const,
		contentType: '',
		params: reject(
			415,
			`The request has a body but no Content-Type, and the body is neither form data nor a JSON object; send ${SUPPORTED}`,
		),
	};
	if (!raw) return unsupported;
	let start = 0;
	if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) start = 3; // UTF-8 BOM
	while (start < raw.length && (raw[start] === 0x20 || raw[start] === 0x09 || raw[start] === 0x0a || raw[start] === 0x0d)) start++;
	if (raw[start] === 0x7b) {
		// '{': a JSON object (JSON text that starts with '{' and parses is one), or nothing we understand
		const text = decodeBytes(raw, 'utf-8');
		if (text === undefined) return unsupported;
		let value: unknown;
		try {
			value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
		} catch {
			return unsupported;
		}
		return { format: 'json', contentType: NO_CONTENT_TYPE_JSON, params: paramsFromJson(value) };
	}
	if (looksLikeForm(raw)) return { format: 'form', contentType: NO_CONTENT_TYPE_FORM, params: parseUrlEncoded(raw, 'utf-8') };
	return unsupported;
}

function parseBody(
	request: InboundRequest,
	ct: ContentType | undefined,
): { format: BodyFormat; contentType?: string; params: ParamsResult } {
	if (isEmptyBody(request)) return { format: 'none', params: parsed(emptyParams()) };
	if (!ct || ct.type === '') return parseUntypedBody(request.rawBody);
	const raw = request.rawBody;
	if (ct.type === 'application/x-www-form-urlencoded') {
		return { format: 'form', params: raw ? parseUrlEncoded(raw, ct.charset) : paramsFromParsedObject(request.body) };
	}
	if (ct.type === 'multipart/form-data') {
		// n8n parses multipart itself (formidable) and keeps no raw bytes of it (test/e2e/trigger.test.ts proves it).
		const body = request.body as { data?: unknown; files?: unknown } | undefined;
		const fields = body && typeof body === 'object' && 'data' in body ? body.data : body;
		return { format: 'multipart', params: paramsFromParsedObject(fields) };
	}
	if (ct.type === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(ct.type)) {
		if (raw) return { format: 'json', params: parseJsonBody(raw) };
		return { format: 'json', params: paramsFromJson(request.body) };
	}
	return {
		format: 'none',
		params: reject(415, `The Content-Type "${printable(ct.type)}" is not supported; send ${SUPPORTED}`),
	};
}

/** Parses one request into its parameters, or a 400 / 415 rejection with a reason. Never throws. */
export function parseRequest(request: InboundRequest): ParseResult {
	try {
		const method = String(request.method ?? '').toUpperCase();
		if (method !== 'GET' && method !== 'POST') {
			return reject(400, `The method "${printable(method)}" is not supported; use GET or POST`);
		}
		const queryResult = parseQuery(request);
		if (!queryResult.ok) return queryResult;
		const query = queryResult.params;
		const ct = parseContentType(request.contentType);
		let format: BodyFormat = 'none';
		let contentType = ct?.type ?? '';
		let body: Params = emptyParams();
		if (method === 'POST') {
			const read = parseBody(request, ct);
			if (!read.params.ok) return read.params;
			format = read.format;
			if (read.contentType !== undefined) contentType = read.contentType;
			body = read.params.params;
		}
		const params = emptyParams();
		for (const [k, v] of Object.entries(query)) params[k] = v;
		for (const [k, v] of Object.entries(body)) params[k] = v;
		if (Object.keys(params).length === 0) {
			return reject(
				400,
				method === 'GET'
					? 'No parameters: the GET request has no query parameters'
					: 'No parameters: the POST request has an empty body and no query parameters',
			);
		}
		return { ok: true, method, contentType, format, params, query, body };
	} catch (error) {
		return reject(400, `The request cannot be parsed: ${printable(String((error as Error)?.message ?? error), 120)}`);
	}
}
