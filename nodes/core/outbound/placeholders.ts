/**
 * KlickTipp URL placeholders: a parameter the request carries can be put into the activation URL by its name
 * with two underscores on each side (`https://host/api/Users/UserCreate?email=__email__`). Values are inserted
 * URL-encoded (lone surrogates as U+FFFD). No n8n imports.
 */
import { toWellFormed } from '../secrets';
import { OutboundParameterError } from './errors';

/** A placeholder: `__name__`, the name starting with a letter or digit, without whitespace, `/`, `?`, `&`, `#` or `=`. */
const PLACEHOLDER = /__([A-Za-z0-9][A-Za-z0-9_.\-[\]]*?)__/g;

/** An unknown placeholder; the parameter at fault is always "url". */
export class PlaceholderError extends OutboundParameterError {
	constructor(
		message: string,
		readonly placeholders: string[],
	) {
		super(message, 'url');
	}
}

/** The placeholder names found in a URL, in order of appearance, without repetitions. */
export function placeholderNames(url: string): string[] {
	const names: string[] = [];
	for (const match of url.matchAll(PLACEHOLDER)) {
		if (!names.includes(match[1])) names.push(match[1]);
	}
	return names;
}

/** The URL with every placeholder replaced by `standIn`, to validate a URL template before values are known. */
export function withStandIns(url: string, standIn: string): string {
	return url.replace(PLACEHOLDER, standIn);
}

/**
 * Replaces every `__name__` by the URL-encoded value of the parameter `name`. Throws PlaceholderError naming
 * every placeholder that is not a parameter of the request.
 */
export function expandPlaceholders(url: string, params: ReadonlyArray<readonly [string, string]>): string {
	const values = new Map<string, string>();
	for (const [name, value] of params) if (!values.has(name)) values.set(name, value);
	const unknown = placeholderNames(url).filter((name) => !values.has(name));
	if (unknown.length > 0) {
		const known = [...values.keys()];
		throw new PlaceholderError(
			`Unknown placeholder${unknown.length > 1 ? 's' : ''} in the URL: ${unknown.map((n) => `__${n}__`).join(', ')}` +
				(known.length ? ` (the request carries: ${known.join(', ')})` : ' (the request carries no parameters)'),
			unknown,
		);
	}
	const expanded = url.replace(PLACEHOLDER, (_all, name: string) => encodeURIComponent(toWellFormed(values.get(name) ?? '')));
	refuseNewDotSegments(url, expanded);
	return expanded;
}

const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;

/** The "/"-separated parts of a URL before its query or fragment. */
function pathParts(url: string): string[] {
	const end = url.search(/[?#]/);
	return (end === -1 ? url : url.slice(0, end)).split('/');
}

/**
 * URL parsers drop "." and ".." path segments (WHATWG also "%2e"), so a value that makes a whole segment one of
 * them (`/api/contacts/__id__/notes` with id "..") would change the path; no encoding prevents it. Values are
 * encoded, so they add no "/", "?" or "#": the template and the result have the same parts, compared one by one.
 */
function refuseNewDotSegments(template: string, expanded: string): void {
	const before = pathParts(template);
	const after = pathParts(expanded);
	after.forEach((part, i) => {
		if (!DOT_SEGMENT.test(part) || DOT_SEGMENT.test(before[i] ?? '')) return;
		const names = placeholderNames(before[i] ?? '');
		throw new PlaceholderError(
			`The value of ${names.map((n) => `__${n}__`).join(' + ')} is "${decodeURIComponent(part)}", a whole URL path segment that would change the path; nothing was sent`,
			names,
		);
	});
}
