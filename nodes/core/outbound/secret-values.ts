/**
 * Secrets the user types into the outbound itself, not into the credential: header values (an Authorization,
 * cookie or API-key-like header) and static values (marked "Secret", or named like a token, password or API key).
 * A record keeps them masked (`***`) and lists their names under `request.masked`; Redeliver fills them again from
 * its own Headers and Static Values before it sends (or refuses the run, naming what is missing). No n8n imports.
 */
import { breaksHeader, isHeaderName } from '../credential';
import { encodeFormComponent, isSecretHeader, isSecretName, MASK, secretForms } from '../secrets';
import type { ReplayRequest } from './auth';
import { jsonEncode } from './encoding';
import { toParamString } from './mapping';

/** The names of the masked values of a record: header names (lower case) and parameter (static value) names. */
export interface MaskedNames {
	headers: string[];
	parameters: string[];
	/**
	 * A secret value also stood elsewhere in the request (the URL path via a `__name__` placeholder, or inside another
	 * value), where the record masks it too: filling the named values would not restore the request, so it cannot be
	 * sent again.
	 */
	elsewhere?: boolean;
}



/** A static value as the record masks it: marked "Secret", or named like a secret. */
export function isSecretStaticValue(sv: { name: string; secret?: boolean }): boolean {
	return sv.secret === true || isSecretName(sv.name.trim());
}

/** What one request hides in its record: the names, and the values to mask wherever they would show. */
export interface TypedSecrets {
	masked: MaskedNames;
	values: string[];
}

/** The typed-in secrets of a request's configuration: secret headers and secret static values, with their values. */
export function typedSecrets(
	headers: Record<string, string>,
	staticValues: ReadonlyArray<{ name: string; value: unknown; secret?: boolean }>,
): TypedSecrets {
	const masked: MaskedNames = { headers: [], parameters: [] };
	const values: string[] = [];
	for (const [name, value] of Object.entries(headers)) {
		if (!isSecretHeader(name) || value === '') continue;
		masked.headers.push(name.toLowerCase());
		values.push(...headerSecretParts(value));
	}
	for (const sv of staticValues) {
		const name = sv.name.trim();
		const value = toParamString(sv.value);
		if (name === '' || !isSecretStaticValue(sv) || value === '') continue;
		masked.parameters.push(name);
		values.push(value);
		if (value.trim() !== value && value.trim() !== '') values.push(value.trim());
	}
	return { masked, values };
}

/** A secret header's value and, for `Bearer x` / `Basic x` / `Token x`, the credential part on its own. */
export function headerSecretParts(value: string): string[] {
	const parts = [value];
	const scheme = /^\s*[A-Za-z][A-Za-z0-9._~+/-]*\s+(\S.*)$/.exec(value);
	if (scheme && scheme[1].length >= 3) parts.push(scheme[1].trim());
	return parts;
}

/** Whether any of the secret values shows in a text, in any spelling (see secretForms). */
export function showsIn(text: string, values: readonly string[]): boolean {
	return secretForms(values).some((form) => text.includes(form));
}

/**
 * The request as a record keeps it: each secret header and the value of each secret parameter (body, or the query
 * of a GET) replaced by `***` by name, so Redeliver can put the value back in the same place; with `masked`, the
 * names, and `elsewhere` when a secret value still shows after that (the record then masks it there too, by value,
 * and cannot be filled again).
 */
export function maskRequest(request: ReplayRequest, secrets: TypedSecrets): { request: ReplayRequest; masked?: MaskedNames } {
	const { headers, parameters } = secrets.masked;
	if (headers.length === 0 && parameters.length === 0) return { request };
	const stars: FillValues = {
		headers: Object.fromEntries(headers.map((h) => [h, MASK])),
		parameters: Object.fromEntries(parameters.map((p) => [p, MASK])),
	};
	const replaced = substitute(request, { headers, parameters }, stars);
	const shown = replaced.ok ? replaced.request : request;
	const rest = [shown.url, shown.body ?? '', ...Object.values(shown.headers)].join('\n');
	const elsewhere = !replaced.ok || showsIn(rest, secrets.values);
	return { request: shown, masked: elsewhere ? { headers, parameters, elsewhere: true } : { headers, parameters } };
}

function strings(value: unknown): string[] {
	return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v !== '') : [];
}

/** The masked names a stored record lists (`request.masked`), or undefined for a record without. */
export function maskedOf(view: Record<string, unknown> | undefined): MaskedNames | undefined {
	const raw = view?.masked;
	if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
	const m = raw as Record<string, unknown>;
	const masked: MaskedNames = { headers: strings(m.headers).map((h) => h.toLowerCase()), parameters: strings(m.parameters) };
	if (m.elsewhere === true) masked.elsewhere = true;
	return masked.headers.length || masked.parameters.length || masked.elsewhere ? masked : undefined;
}

/** What Redeliver fills masked values with: its own Headers (names in lower case) and Static Values. */
export interface FillValues {
	headers: Record<string, string>;
	parameters: Record<string, string>;
}

/**
 * The filled request, or why not: with `parameter` the node parameter that lacks the value (a configuration problem
 * for the whole run); without, the record itself cannot be filled by any configuration.
 */
export type FillResult = { ok: true; request: ReplayRequest; values: string[] } | { ok: false; reason: string; parameter?: 'options.headers' | 'staticValues' };

function decodeForm(text: string): string {
	try {
		return decodeURIComponent(text.replace(/\+/g, ' '));
	} catch {
		return text;
	}
}

/** Form (or query) pairs with the value of each masked parameter replaced, the rest byte for byte. */
function fillForm(text: string, values: Record<string, string>, names: readonly string[]): string {
	return text
		.split('&')
		.map((pair) => {
			const eq = pair.indexOf('=');
			const key = decodeForm(eq === -1 ? pair : pair.slice(0, eq));
			return names.includes(key) ? `${pair.slice(0, eq === -1 ? pair.length : eq)}=${encodeFormComponent(values[key])}` : pair;
		})
		.join('&');
}

/** The URL with the masked parameters of its query filled (a GET request carries its parameters there). */
function fillQuery(url: string, values: Record<string, string>, names: readonly string[]): string {
	const q = url.indexOf('?');
	if (q === -1) return url;
	const hashAt = url.indexOf('#', q);
	const query = hashAt === -1 ? url.slice(q + 1) : url.slice(q + 1, hashAt);
	return `${url.slice(0, q + 1)}${fillForm(query, values, names)}${hashAt === -1 ? '' : url.slice(hashAt)}`;
}

/**
 * The request of a record with its masked values filled again from Redeliver's own Headers and Static Values (same
 * names), and the values used (to mask in Redeliver's output). A record that needs a value Redeliver does not have,
 * or whose URL held a masked value, cannot be filled: the reason names the parameter to set.
 */
export function fillMasked(request: ReplayRequest, masked: MaskedNames | undefined, fill: FillValues = { headers: {}, parameters: {} }): FillResult {
	if (!masked) return { ok: true, request, values: [] };
	if (masked.elsewhere) {
		return {
			ok: false,
			reason: 'A secret value of it also stood elsewhere in the request (the URL, or inside another value), where the record masks it too, so it cannot be sent again; send each secret only as its own parameter or header',
		};
	}
	const missingHeader = masked.headers.find((h) => fill.headers[h] === undefined || fill.headers[h] === '');
	if (missingHeader !== undefined) {
		return {
			ok: false,
			parameter: 'options.headers',
			reason: `it was sent with the secret header "${missingHeader}", which the record keeps masked: add the header "${missingHeader}" with its value under Options › Headers of this node`,
		};
	}
	const missingParam = masked.parameters.find((p) => fill.parameters[p] === undefined || fill.parameters[p] === '');
	if (missingParam !== undefined) {
		return {
			ok: false,
			parameter: 'staticValues',
			reason: `it was sent with the secret static value "${missingParam}", which the record keeps masked: add the static value "${missingParam}" with its value under Static Values of this node`,
		};
	}
	const filled = substitute(request, masked, fill);
	if (!filled.ok) return filled;
	const values: string[] = [];
	for (const h of masked.headers) values.push(...headerSecretParts(fill.headers[h]));
	for (const p of masked.parameters) values.push(fill.parameters[p]);
	return { ok: true, request: filled.request, values };
}

/** The request with the named headers and parameters (body, or the query of a GET) set to the given values. */
function substitute(request: ReplayRequest, masked: MaskedNames, fill: FillValues): { ok: true; request: ReplayRequest } | { ok: false; reason: string; parameter?: 'options.headers' } {
	const headers = { ...request.headers };
	for (const h of masked.headers) {
		const value = fill.headers[h];
		if (!isHeaderName(h) || breaksHeader(value)) return { ok: false, parameter: 'options.headers', reason: `the header "${h}" is invalid` };
		headers[h] = value;
	}
	const params = fill.parameters;
	let { url, body } = request;
	if (masked.parameters.length > 0) {
		if (body === null) url = fillQuery(url, params, masked.parameters);
		else if (/^application\/json/i.test(headers['content-type'] ?? '')) {
			let parsed: unknown;
			try {
				parsed = JSON.parse(body);
			} catch {
				parsed = undefined;
			}
			if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
				return { ok: false, reason: 'Its JSON body is not an object, so the masked static values cannot be filled and it cannot be sent again' };
			}
			const entries = Object.entries(parsed as Record<string, unknown>).map(([k, v]): [string, string] => [
				k,
				masked.parameters.includes(k) ? params[k] : typeof v === 'string' ? v : JSON.stringify(v),
			]);
			body = jsonEncode(entries);
		} else body = fillForm(body, params, masked.parameters);
	}
	return { ok: true, request: { ...request, url, body, headers } };
}
