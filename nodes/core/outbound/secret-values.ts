/**
 * Secrets the user types into the outbound itself, not into the credential: header values (an Authorization,
 * cookie or API-key-like header) and static values (marked "Secret", or named like a token, password or API key).
 * A record keeps them masked (`***`) and lists their names under `request.masked`; Redeliver fills them again from
 * its own Headers and Static Values before it sends (or refuses the run, naming what is missing). No n8n imports.
 */
import { breaksHeader, isHeaderName } from '../credential';
import { encodeFormComponent, secretForms } from '../secrets';
import type { ReplayRequest } from './auth';
import { jsonEncode } from './encoding';
import { toParamString } from './mapping';

/** The names of the masked values of a record: header names (lower case) and parameter (static value) names. */
export interface MaskedNames {
	headers: string[];
	parameters: string[];
	/** A masked value stood in the URL itself (a `__name__` placeholder): the record cannot be filled again. */
	inUrl?: boolean;
}

/** Headers that always carry a secret. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);

/** Words of a name that mark a secret (compared in lower case): `X-Api-Key`, `access_token`, `clientSecret`, … */
const SECRET_WORDS = new Set(['token', 'secret', 'password', 'passwd', 'pwd', 'apikey', 'auth', 'authorization', 'credential', 'credentials', 'cookie']);
/** Pairs of words that mark a secret: `api key`, `access key`, `private key`, `session id`. */
const SECRET_PAIRS = new Set(['api key', 'access key', 'private key', 'secret key', 'session id']);

/** The words of a name: split at anything but letters and digits and at camelCase humps, lower case. */
function wordsOf(name: string): string[] {
	return name
		.replace(/([a-z0-9])([A-Z])/g, '$1 $2')
		.split(/[^A-Za-z0-9]+/)
		.filter((w) => w !== '')
		.map((w) => w.toLowerCase());
}

/** Whether a name says its value is a secret: `token`, `apiKey`, `api_key`, `X-Auth-Token`, `client-secret`, `password`. */
export function isSecretName(name: string): boolean {
	const words = wordsOf(name);
	if (words.some((w) => SECRET_WORDS.has(w))) return true;
	for (let i = 1; i < words.length; i++) if (SECRET_PAIRS.has(`${words[i - 1]} ${words[i]}`)) return true;
	return false;
}

/** Whether a header's value is a secret: Authorization, Proxy-Authorization, Cookie, or a secret-like name (X-Api-Key, X-Auth-Token). */
export function isSecretHeader(name: string): boolean {
	return SECRET_HEADERS.has(name.toLowerCase()) || isSecretName(name);
}

/** A static value as the record masks it: marked "Secret", or named like a secret. */
export function isSecretStaticValue(sv: { name: string; secret?: boolean }): boolean {
	return sv.secret === true || isSecretName(sv.name.trim());
}

/** What one request hides in its record: the names, and the values to mask wherever they would show. */
export interface TypedSecrets {
	masked: MaskedNames;
	values: string[];
	/** One of the values stands in the URL itself (before a GET's parameters are added). */
	inUrl?: boolean;
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

/** The `masked` names of a request as the record keeps them, only when there are any. */
export function maskedView(secrets: TypedSecrets): MaskedNames | undefined {
	const { headers, parameters } = secrets.masked;
	if (headers.length === 0 && parameters.length === 0) return undefined;
	return secrets.inUrl ? { headers, parameters, inUrl: true } : { headers, parameters };
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
	if (m.inUrl === true) masked.inUrl = true;
	return masked.headers.length || masked.parameters.length || masked.inUrl ? masked : undefined;
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
	if (masked.inUrl) {
		return {
			ok: false,
			reason: 'Its URL held a secret value (a __name__ placeholder of a secret static value), which the record keeps masked, so it cannot be sent again; send the secret as a parameter or a header instead',
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
	const headers = { ...request.headers };
	const values: string[] = [];
	for (const h of masked.headers) {
		const value = fill.headers[h];
		if (!isHeaderName(h) || breaksHeader(value)) return { ok: false, parameter: 'options.headers', reason: `the header "${h}" is invalid` };
		headers[h] = value;
		values.push(...headerSecretParts(value));
	}
	const params: Record<string, string> = {};
	for (const p of masked.parameters) values.push((params[p] = fill.parameters[p]));
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
	return { ok: true, request: { ...request, url, body, headers }, values };
}
