/**
 * Reliability: property-based fuzzing of the action node's pure request building — the mapper (mapItem,
 * toParamString, emailOf), URL placeholder expansion and the encoders they feed (JSON, form, GET query), and
 * buildRequest/deliver on top. Inputs are deliberately odd: items with missing/nested/odd json, null, arrays,
 * numbers, 10k–300k character strings, control characters, lone surrogates, `__proto__`/`constructor` keys,
 * duplicate and empty parameter names, default values; URL templates with known/unknown/adjacent placeholders
 * and values full of `& = # % / ? +`, spaces and umlauts. Properties, for every generated input:
 *   - nothing throws but the documented OutboundParameterError (MappingError / PlaceholderError /
 *     RequestBuildError), with a clear message naming the parameter, placeholder or duplicate at fault;
 *   - placeholder values are URL-encoded: origin, path segments and query keys of the URL never change, a value
 *     decodes back to itself, and a value can neither add query parameters nor change the host;
 *   - the JSON body parses back to exactly the mapped parameters; form bodies and GET queries round-trip through
 *     URLSearchParams (UTF-8; lone surrogates become U+FFFD, as in any UTF-8 encoding);
 *   - no prototype pollution: Object.prototype is untouched and parsed bodies expose only the mapped keys.
 * Every property has a fixed seed; the total number of runs is asserted at the end.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { buildRequest, RequestBuildError, type OutboundConfig } from '../../nodes/core/outbound/build';
import { deliver } from '../../nodes/core/outbound/deliver';
import { appendQuery, encodeRequest, formEncode, jsonEncode, FORM_CONTENT_TYPE, JSON_CONTENT_TYPE } from '../../nodes/core/outbound/encoding';
import { OutboundParameterError } from '../../nodes/core/outbound/errors';
import { emailOf, mapItem, MappingError, toParamString, type MappingConfig, type OutboundField, type StaticValue } from '../../nodes/core/outbound/mapping';
import { expandPlaceholders, PlaceholderError, placeholderNames } from '../../nodes/core/outbound/placeholders';
import { hostsOn, NO_BREAKER } from '../helpers/hosts';
import { DEFAULT_RETRY_POLICY } from '../../nodes/core/outbound/retry';

const SEED = 20261123;

/** How the generated cases came out, so a generator that degenerates (e.g. only errors) fails the suite. */
const outcomes = { mappingOk: 0, mappingError: 0, duplicateError: 0, buildOk: 0, buildError: 0, hostInvalid: 0, hostOk: 0, hugeStrings: 0, loneSurrogates: 0 };
const counts = {
	mapper: 0,
	toParamString: 0,
	expansion: 0,
	unknownPlaceholder: 0,
	placeholderGrammar: 0,
	json: 0,
	form: 0,
	getQuery: 0,
	build: 0,
	hostPlaceholder: 0,
};

// ---------- oracles (written independently of the code under test) ----------

/** What UTF-8 makes of a JS string (Node's encoder, not the code under test): lone surrogates become U+FFFD. */
const usv = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);

/** The wire string of a JSON-like value (what the mapping documents: objects as JSON, dates as ISO 8601). */
function wire(v: unknown): string {
	if (v === undefined || v === null) return '';
	if (typeof v === 'string') return v;
	if (typeof v === 'number' || typeof v === 'boolean') return String(v);
	if (v instanceof Date) return Number.isNaN(v.getTime()) ? '' : v.toISOString();
	return JSON.stringify(v);
}

function expectedEmail(json: Record<string, unknown>): string {
	const c = Object.prototype.hasOwnProperty.call(json, 'contact') ? json.contact : undefined;
	if (c !== null && typeof c === 'object' && !Array.isArray(c) && Object.prototype.hasOwnProperty.call(c, 'email')) {
		const e = (c as Record<string, unknown>).email;
		if (typeof e === 'string' && e.trim() !== '') return e.trim();
	}
	const e = Object.prototype.hasOwnProperty.call(json, 'email') ? json.email : undefined;
	return typeof e === 'string' && e.trim() !== '' ? e.trim() : '';
}

type Expected =
	| { ok: true; params: Array<[string, string]> }
	| { ok: false; parameter: string; message: RegExp | string[] };

function expectedMapping(json: Record<string, unknown>, config: MappingConfig, reserved: string[]): Expected {
	const params: Array<[string, string]> = [];
	if (config.sendEmail) {
		if (config.emailParameterName.trim() === '') return { ok: false, parameter: 'emailParameterName', message: /email parameter name is empty/ };
		params.push([config.emailParameterName.trim(), expectedEmail(json)]);
	}
	for (let i = 0; i < config.fields.length; i++) {
		const f = config.fields[i];
		if (f.parameterName.trim() === '') return { ok: false, parameter: 'fields', message: new RegExp(`^Field ${i + 1} has no parameter name$`) };
		params.push([f.parameterName.trim(), wire(isBlank(f.value) ? f.defaultValue : f.value)]);
	}
	for (let i = 0; i < config.staticValues.length; i++) {
		const s = config.staticValues[i];
		if (s.name.trim() === '') return { ok: false, parameter: 'staticValues', message: new RegExp(`^Static value ${i + 1} has no name$`) };
		params.push([s.name.trim(), wire(s.value)]);
	}
	const all = [...params.map(([n]) => n), ...reserved];
	const dups = [...new Set(all.filter((n, i) => all.indexOf(n) !== i))];
	if (dups.length > 0) return { ok: false, parameter: 'duplicate', message: dups };
	return { ok: true, params };
}

// ---------- prototype pollution sentinel ----------

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
const ARRAY_PROTO_NAMES = Object.getOwnPropertyNames(Array.prototype).sort().join(',');
function assertNoPollution(): void {
	assert.equal(Object.getOwnPropertyNames(Object.prototype).sort().join(','), PROTO_NAMES, 'Object.prototype was changed');
	assert.equal(Object.getOwnPropertyNames(Array.prototype).sort().join(','), ARRAY_PROTO_NAMES, 'Array.prototype was changed');
	const probe: Record<string, unknown> = {};
	for (const k of ['polluted', 'x', 'email', 'a', 'isAdmin']) assert.equal(probe[k], undefined, `{}.${k} is inherited`);
}

// ---------- generators ----------

const SPECIALS = [
	'&', '=', '#', '%', '/', '?', ' ', '+', '\\', '@', ':', ';', ',', '"', "'", '<', '>', '`', '{', '}', '|', '^', '[', ']',
	'a&b=c', 'x=1&y=2', '?q=1', '#frag', '/../admin', '%2F', '%zz', '%', '%25', 'ä', 'ö', 'ü', 'ß', 'Ä', 'Jürgen Groß & Söhne',
	'Zoë', 'e\u0301', '😀', '👩‍👩‍👧', '\u0000', '\r\n', '\t', '\u007f', '\u2028', '\ufeff', '\u00a0', '\uD800', '\uDC00', 'a\uD83D',
	'\uDE00b', '__proto__', 'constructor', 'prototype', 'toString', '__email__', '__a____b__', 'http://evil.example/', '@evil.example',
	'//evil.example', '..', '.', '', '   ', 'null', 'undefined', '0', '-0', 'NaN',
];

const controlChars = fc.array(fc.integer({ min: 0, max: 0x1f }), { maxLength: 8 }).map((cs) => String.fromCharCode(...cs));
const loneSurrogates = fc
	.array(fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0x20, max: 0x7e })), { minLength: 1, maxLength: 8 })
	.map((cs) => {
		const s = String.fromCharCode(...cs);
		if (usv(s) !== s) outcomes.loneSurrogates++;
		return s;
	});
/** 10k–300k characters: plain, multi-byte, astral, delimiter-heavy or with lone surrogates. */
const hugeString = fc
	.record({ length: fc.integer({ min: 10_000, max: 300_000 }), unit: fc.constantFrom('x', 'ä', '😀', '&=', '%2F', ' /?#', 'a\uD800', '\u0000') })
	.map(({ length, unit }) => {
		outcomes.hugeStrings++;
		return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
	});
const mixed = fc.array(fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ maxLength: 4 })), { maxLength: 6 }).map((parts) => parts.join(''));

const oddString: fc.Arbitrary<string> = fc.oneof(
	{ weight: 8, arbitrary: fc.constantFrom(...SPECIALS) },
	{ weight: 8, arbitrary: mixed },
	{ weight: 6, arbitrary: fc.string({ maxLength: 16 }) },
	{ weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
	{ weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
	{ weight: 2, arbitrary: controlChars },
	{ weight: 4, arbitrary: loneSurrogates },
	// rare, as one run carries up to 16 strings: about one run in five still has a huge one
	{ weight: 1, arbitrary: hugeString },
);

/** Keys an attacker would try, plus ordinary ones. */
const oddKey = fc.oneof(
	fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'email', 'contact', 'id', 'SubscriberID', '', ' ', 'ä'),
	fc.string({ maxLength: 6 }),
);

/** JSON-like values as n8n items carry them (what a field expression evaluates to), including odd ones. */
const jsonLike: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
	v: fc.oneof(
		{ depthSize: 'small', withCrossShrink: true },
		oddString,
		fc.constantFrom(null, undefined, true, false, 0, -0, 1.5, -1, 4711, Number.MAX_SAFE_INTEGER, 1e21, Number.NaN, Number.POSITIVE_INFINITY),
		fc.double(),
		fc.date({ noInvalidDate: false }),
		fc.array(tie('v'), { maxLength: 4 }),
		// Own keys such as "__proto__" exactly as JSON.parse creates them (n8n items come from JSON).
		fc.array(fc.tuple(oddKey, tie('v')), { maxLength: 4 }).map((entries) => {
			const o: Record<string, unknown> = {};
			for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
			return o;
		}),
	),
})).v;

/** An input item's json: sometimes shaped like a KlickTipp contact, sometimes not at all. */
const itemJson: fc.Arbitrary<Record<string, unknown>> = fc
	.record(
		{
			contact: fc.oneof(
				fc.record({ id: jsonLike, email: fc.oneof(oddString, jsonLike, fc.constant('kunde@example.de'), fc.constant('  Max@Example.DE ')), firstName: jsonLike }, { requiredKeys: [] }),
				jsonLike,
			),
			email: fc.oneof(oddString, jsonLike),
			event: fc.constantFrom('contactData', 'deletionRequest', 'x', undefined),
			eventId: fc.oneof(fc.constant(undefined), fc.string({ maxLength: 10 })),
			extra: jsonLike,
		},
		{ requiredKeys: [] },
	)
	.chain((base) =>
		fc.array(fc.tuple(oddKey, jsonLike), { maxLength: 3 }).map((entries) => {
			const o: Record<string, unknown> = { ...base };
			for (const [k, v] of entries) if (!(k in base)) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
			return o;
		}),
	);

/** Parameter names: a small pool (so duplicates are frequent), empty and whitespace names, odd characters. */
const paramName = fc.oneof(
	{ weight: 5, arbitrary: fc.constantFrom('email', 'Email', 'first_name', 'SubscriberID', 'city', 'apiKey', '__proto__', 'constructor', 'toString', 'a&b', 'a=b', 'x y', 'ä', 'name[]', 'x.y', '%41', '') },
	{ weight: 1, arbitrary: fc.constantFrom(' ', '\t', '  email  ', '\u00a0') },
	{ weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 6 }) },
);

const fieldArb: fc.Arbitrary<OutboundField> = fc.record({
	value: jsonLike,
	parameterName: paramName,
	defaultValue: fc.oneof(fc.constant(undefined), oddString, jsonLike),
});
const staticArb: fc.Arbitrary<StaticValue> = fc.record({ name: paramName, value: fc.oneof(oddString, jsonLike) });
const mappingArb: fc.Arbitrary<MappingConfig> = fc.record({
	sendEmail: fc.boolean(),
	emailParameterName: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('email', 'EmailAddress', ' email ') }, { weight: 1, arbitrary: paramName }),
	fields: fc.array(fieldArb, { maxLength: 6 }),
	staticValues: fc.array(staticArb, { maxLength: 4 }),
});

/** A placeholder name in KlickTipp's grammar: starts with a letter or digit, no "__" inside, not ending in "_". */
const placeholderName = fc
	.tuple(
		fc.constantFrom(...'aZ09xQ'.split('')),
		fc.array(fc.constantFrom(...'abcXYZ0189_.-[]'.split('')), { maxLength: 10 }),
	)
	.map(([first, rest]) => (first + rest.join('')).replace(/_+/g, '_').replace(/_$/, ''));

/** Literal URL text that needs no encoding and cannot start a placeholder (no "_", no delimiters). */
const literal = (alphabet: string, maxLength = 6) => fc.array(fc.constantFrom(...alphabet.split('')), { maxLength }).map((c) => c.join(''));
const PATH_ALPHABET = "abcXYZ019-.~!$'()*,;:@";
const QUERY_KEY_ALPHABET = 'abcxyz019';

type Token = { lit: string } | { ph: number };
const tokens = (alphabet: string) =>
	fc.array(fc.oneof({ weight: 2, arbitrary: literal(alphabet).map((lit): Token => ({ lit })) }, { weight: 3, arbitrary: fc.nat({ max: 7 }).map((ph): Token => ({ ph })) }), { maxLength: 4 });

interface Template {
	origin: string;
	path: Token[][];
	query: Array<{ key: string; value: Token[] }>;
	fragment: Token[] | null;
}
const templateArb: fc.Arbitrary<Template> = fc.record({
	origin: fc.constantFrom('https://crm.example.com', 'https://example.com:8443', 'http://hooks.example.org', 'https://[2001:db8::1]', 'https://xn--mller-kva.example'),
	path: fc.array(tokens(PATH_ALPHABET), { maxLength: 4 }),
	query: fc.array(fc.record({ key: literal(QUERY_KEY_ALPHABET, 4).map((k) => `k${k}`), value: tokens(QUERY_KEY_ALPHABET) }), { maxLength: 3 }),
	fragment: fc.option(tokens(PATH_ALPHABET), { nil: null }),
});

function render(t: Template, ph: (i: number) => string): { url: string; path: string[]; query: Array<[string, string]>; fragment: string | null } {
	const r = (ts: Token[]) => ts.map((tok) => ('lit' in tok ? tok.lit : ph(tok.ph))).join('');
	const path = t.path.map(r);
	const query = t.query.map(({ key, value }): [string, string] => [key, r(value)]);
	const fragment = t.fragment ? r(t.fragment) : null;
	let url = t.origin + '/' + path.join('/');
	if (query.length) url += '?' + query.map(([k, v]) => `${k}=${v}`).join('&');
	if (fragment !== null) url += '#' + fragment;
	return { url, path, query, fragment };
}

const byKey = (a: [string, unknown], b: [string, unknown]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const isDotSegment = (s: string) => s === '.' || s === '..';

// ---------- properties ----------

describe('reliability: fuzzing the outbound mapper', () => {
	it('mapItem: 1,500 odd items × configs → exactly the documented params, or a MappingError naming the parameter', () => {
		fc.assert(
			fc.property(itemJson, mappingArb, fc.constantFrom<string[]>([], ['apiKey'], ['email'], ['__proto__']), (json, config, reserved) => {
				counts.mapper++;
				const expected = expectedMapping(json, config, reserved);
				let params: Array<[string, string]> | undefined;
				try {
					params = mapItem(json, config, reserved);
				} catch (error) {
					assert.ok(error instanceof MappingError, `not a MappingError: ${String(error)}`);
					assert.ok(error instanceof OutboundParameterError);
					assert.equal(expected.ok, false, `unexpected MappingError: ${(error as Error).message}`);
					const e = error as MappingError;
					if (expected.ok) return;
					assert.ok(e.message.length > 0 && e.message.length < 2000, 'the message is short and clear');
					outcomes.mappingError++;
					if (expected.message instanceof RegExp) {
						assert.equal(e.parameter, expected.parameter);
						assert.match(e.message, expected.message);
					} else {
						assert.ok(['fields', 'staticValues', 'emailParameterName', 'credential keyName'].includes(e.parameter), e.parameter);
						outcomes.duplicateError++;
						assert.match(e.message, /^Duplicate parameter names?: /);
						for (const d of expected.message) assert.ok(e.message.includes(`"${d}"`), `the message names the duplicate "${d}": ${e.message}`);
					}
					assertNoPollution();
					return;
				}
				assert.equal(expected.ok, true, `expected a MappingError (${JSON.stringify(!expected.ok && expected.message.toString())})`);
				if (!expected.ok) return;
				outcomes.mappingOk++;
				assert.deepEqual(params, expected.params);
				for (const [n, v] of params) {
					assert.equal(typeof n, 'string');
					assert.equal(typeof v, 'string');
				}
				if (config.sendEmail) assert.equal(params[0][1], emailOf(json));
				assertNoPollution();
			}),
			{ numRuns: 1500, seed: SEED },
		);
	});

	it('toParamString: 500 arbitrary values (nested, dates, boxed, sparse, cyclic) → always a string, never a throw', () => {
		const cyclic = fc.constant(null).map(() => {
			const o: Record<string, unknown> = { a: 1 };
			o.self = o;
			return o;
		});
		fc.assert(
			fc.property(
				fc.oneof(fc.anything({ withDate: true, withSparseArray: true, withBoxedValues: true, withObjectString: true, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true }), jsonLike, cyclic),
				(value) => {
					counts.toParamString++;
					const s = toParamString(value);
					assert.equal(typeof s, 'string');
					// JSON-like values follow the documented rule exactly.
					if (value === null || value === undefined || ['string', 'number', 'boolean'].includes(typeof value)) assert.equal(s, wire(value));
				},
			),
			{ numRuns: 500, seed: SEED + 1 },
		);
	});
});

describe('reliability: fuzzing URL placeholder expansion', () => {
	it('1,200 templates × odd values: exact URL-encoding, same origin, same path segments, same query keys', () => {
		fc.assert(
			fc.property(templateArb, fc.uniqueArray(placeholderName, { minLength: 8, maxLength: 8 }), fc.array(oddString, { minLength: 8, maxLength: 8 }), (template, names, values) => {
				const tpl = render(template, (i) => `__${names[i]}__`);
				const plain = render(template, (i) => usv(values[i]));
				// '.' and '..' as a whole path segment are dot segments for every URL parser, however they are
				// encoded (see the separate test below); they are excluded from the structural property.
				fc.pre(!plain.path.some(isDotSegment));
				counts.expansion++;
				const params: Array<[string, string]> = names.map((n, i) => [n, values[i]]);
				const expanded = expandPlaceholders(tpl.url, params);
				// Exact oracle: every placeholder replaced by encodeURIComponent of its (UTF-8-clean) value, in a single
				// pass (a value that looks like a placeholder, e.g. "__email__", is inserted, not expanded again).
				assert.equal(expanded, render(template, (i) => encodeURIComponent(usv(values[i]))).url);
				assert.match(expanded, /^[\x21-\x7e]*$/, 'only printable ASCII, nothing left unencoded');
				const u = new URL(expanded);
				assert.equal(u.origin, new URL(template.origin).origin, 'the origin never changes');
				assert.equal(u.username + u.password, '');
				const segments = u.pathname.split('/').slice(1);
				assert.equal(segments.length, Math.max(1, plain.path.length), `path segments changed: ${u.pathname.slice(0, 200)}`);
				plain.path.forEach((seg, i) => assert.equal(decodeURIComponent(segments[i]), seg, `segment ${i}`));
				// Injected values can neither add query parameters nor change existing ones.
				assert.deepEqual([...u.searchParams.keys()], plain.query.map(([k]) => k));
				assert.deepEqual([...u.searchParams], plain.query);
				if (plain.fragment === null) assert.equal(u.hash, '');
				else assert.equal(decodeURIComponent(u.hash.slice(1)), plain.fragment);
				assertNoPollution();
			}),
			{ numRuns: 1200, seed: SEED + 2 },
		);
	});

	it('500 templates with unknown placeholders: a PlaceholderError (parameter "url") naming every unknown one, no values', () => {
		fc.assert(
			fc.property(
				templateArb,
				fc.uniqueArray(placeholderName, { minLength: 8, maxLength: 8 }),
				fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
				fc.array(fc.oneof(oddString, fc.constant('SECRET-VALUE-0123456789')), { minLength: 8, maxLength: 8 }),
				(template, names, known, values) => {
					const tpl = render(template, (i) => `__${names[i]}__`);
					const used: number[] = [];
					const walk = (ts: Token[]) => ts.forEach((t) => 'ph' in t && !used.includes(t.ph) && used.push(t.ph));
					template.path.forEach(walk);
					template.query.forEach((q) => walk(q.value));
					if (template.fragment) walk(template.fragment);
					const unknown = used.filter((i) => !known[i]).map((i) => names[i]);
					fc.pre(unknown.length > 0);
					counts.unknownPlaceholder++;
					const params: Array<[string, string]> = names.flatMap((n, i): Array<[string, string]> => (known[i] ? [[n, values[i]]] : []));
					assert.throws(
						() => expandPlaceholders(tpl.url, params),
						(e: unknown) => {
							assert.ok(e instanceof PlaceholderError, `not a PlaceholderError: ${String(e)}`);
							assert.ok(e instanceof OutboundParameterError);
							assert.equal(e.parameter, 'url');
							assert.deepEqual(e.placeholders, unknown);
							assert.match(e.message, /^Unknown placeholders? in the URL: /);
							for (const n of unknown) assert.ok(e.message.includes(`__${n}__`), `names __${n}__: ${e.message}`);
							assert.ok(!e.message.includes('SECRET-VALUE-0123456789'), 'a parameter value leaked into the message');
							assert.ok(e.message.length < 2000);
							return true;
						},
					);
				},
			),
			{ numRuns: 500, seed: SEED + 3 },
		);
	});

	it('500 underscore-heavy strings: every name placeholderNames reports is a __name__ in the text, expansion agrees', () => {
		const text = fc.array(fc.constantFrom('_', '__', 'a', 'B', '1', '.', '-', '[', ']', '/', '?', ' ', '&', '='), { maxLength: 24 }).map((p) => `https://h.example/${p.join('')}`);
		fc.assert(
			fc.property(text, oddString, (url, value) => {
				counts.placeholderGrammar++;
				const names = placeholderNames(url);
				assert.equal(new Set(names).size, names.length, 'no repetitions');
				for (const n of names) {
					assert.ok(url.includes(`__${n}__`));
					assert.match(n, /^[A-Za-z0-9][A-Za-z0-9_.\-[\]]*$/);
				}
				const all: Array<[string, string]> = names.map((n) => [n, value]);
				const out = expandPlaceholders(url, all);
				if (names.length > 0) {
					assert.ok(out.includes(encodeURIComponent(usv(value))), 'the value is inserted URL-encoded');
					const missing = names[names.length - 1];
					assert.throws(() => expandPlaceholders(url, all.filter(([n]) => n !== missing)), (e: unknown) => e instanceof PlaceholderError && e.placeholders.includes(missing));
				} else assert.equal(out, url);
			}),
			{ numRuns: 500, seed: SEED + 4 },
		);
	});

	it('a value "." or ".." filling a whole path segment is refused (it would change the path); elsewhere it is kept', () => {
		// Every URL parser drops dot segments (WHATWG also %2e), so /api/contacts/{id}/notes with id ".." would be /api/notes.
		for (const value of ['.', '..']) {
			for (const url of ['https://crm.example.com/api/contacts/__id__/notes', 'https://crm.example.com/api/__id__', 'https://crm.example.com/a/__id__?x=1']) {
				assert.throws(() => expandPlaceholders(url, [['id', value]]), (e: unknown) => e instanceof PlaceholderError && e.placeholders[0] === 'id' && /whole URL path segment/.test(e.message));
			}
			assert.equal(expandPlaceholders('https://crm.example.com/a/x__id__/b', [['id', value]]), `https://crm.example.com/a/x${value}/b`);
			assert.equal(expandPlaceholders('https://crm.example.com/a?id=__id__', [['id', value]]), `https://crm.example.com/a?id=${value}`);
			assert.equal(expandPlaceholders('https://crm.example.com/a#__id__', [['id', value]]), `https://crm.example.com/a#${value}`);
		}
		// Two placeholders that together make ".." are refused too; "..." is an ordinary segment.
		assert.throws(() => expandPlaceholders('https://crm.example.com/a/__x____y__/b', [['x', '.'], ['y', '.']]), /__x__ \+ __y__ is "\.\."/);
		assert.equal(expandPlaceholders('https://crm.example.com/a/__x____y__/b', [['x', '..'], ['y', '.']]), 'https://crm.example.com/a/.../b');
	});
});

describe('reliability: fuzzing the encoders', () => {
	const paramsArb = fc.array(fc.tuple(fc.oneof(paramName, oddString), oddString), { maxLength: 8 });

	it('JSON: 500 param lists → JSON.parse gives back exactly the params (own keys, first position, last value)', () => {
		fc.assert(
			fc.property(paramsArb, (params) => {
				counts.json++;
				const r = encodeRequest('POST', 'json', 'https://x.example/h', params);
				assert.equal(r.contentType, JSON_CONTENT_TYPE);
				assert.equal(r.body, jsonEncode(params));
				const parsed = JSON.parse(r.body!) as Record<string, unknown>;
				assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
				const expected = new Map<string, string>();
				for (const [k, v] of params) expected.set(k, v);
				assert.deepEqual(Object.keys(parsed).sort(), [...expected.keys()].sort());
				// Non-index keys keep the position of their first occurrence (index-like keys such as "1" come first in
				// every JS object, whatever the JSON order).
				const isIndex = (k: string) => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 2 ** 32 - 1;
				assert.deepEqual(Object.keys(parsed).filter((k) => !isIndex(k)), [...expected.keys()].filter((k) => !isIndex(k)));
				for (const [k, v] of expected) {
					assert.ok(Object.prototype.hasOwnProperty.call(parsed, k), `own key ${JSON.stringify(k).slice(0, 40)}`);
					assert.equal(parsed[k], v, 'exact round trip, lone surrogates included');
				}
				// The body is well-formed (lone surrogates escaped as \\uXXXX): its UTF-8 bytes decode to the same text.
				assert.equal(Buffer.from(r.body!, 'utf8').toString('utf8'), r.body);
				assertNoPollution();
			}),
			{ numRuns: 500, seed: SEED + 5 },
		);
	});

	it('form: 500 param lists → URLSearchParams decodes the exact (UTF-8) params, order and duplicates kept', () => {
		fc.assert(
			fc.property(paramsArb, (params) => {
				counts.form++;
				const r = encodeRequest('POST', 'form', 'https://x.example/h', params);
				assert.equal(r.contentType, FORM_CONTENT_TYPE);
				assert.equal(r.body, formEncode(params));
				assert.match(r.body!, /^[\x21-\x7e]*$/, 'ASCII only: every byte outside is percent-encoded UTF-8');
				assert.deepEqual([...new URLSearchParams(r.body!)], params.length ? params.map(([k, v]) => [usv(k), usv(v)]) : []);
				// Delimiters in names and values never split a pair.
				assert.equal(r.body === '' ? 0 : r.body!.split('&').length, params.length);
			}),
			{ numRuns: 500, seed: SEED + 6 },
		);
	});

	it('GET: 500 URLs × param lists → the existing query and fragment kept, params appended, URLSearchParams round trip', () => {
		const baseUrl = fc.constantFrom(
			'https://wp.example.com/',
			'https://wp.example.com/?wpf_action=add&access_key=abc123',
			'https://wp.example.com/p?',
			'https://wp.example.com/p?k=v&',
			'https://wp.example.com/p?k=v#frag',
			'https://wp.example.com/p#frag?x=1',
			'https://wp.example.com/a%20b/?x=%C3%A4',
		);
		fc.assert(
			fc.property(baseUrl, paramsArb, (url, params) => {
				counts.getQuery++;
				const r = encodeRequest('GET', 'json', url, params);
				assert.equal(r.body, null);
				assert.equal(r.contentType, null);
				assert.equal(r.url, appendQuery(url, params));
				if (params.length) assert.doesNotMatch(r.url.split('#')[0], /&&|\?&/, 'no empty pair where the query is joined');
				const before = new URL(url);
				const after = new URL(r.url);
				assert.equal(after.origin, before.origin);
				assert.equal(after.pathname, before.pathname);
				assert.equal(after.hash, before.hash);
				assert.deepEqual([...after.searchParams], [...before.searchParams, ...params.map(([k, v]) => [usv(k), usv(v)])]);
			}),
			{ numRuns: 500, seed: SEED + 7 },
		);
	});
});

describe('reliability: fuzzing buildRequest and delivery of odd URLs', () => {
	it('800 items × configs × auth: the request or an OutboundParameterError; same origin; the body/query carries the params', () => {
		const credentials = fc.constantFrom(
			{ authentication: 'none' as const, credential: undefined },
			{ authentication: 'apiKey' as const, credential: { apiKey: 'k&=#?/ä-0123456789', keyName: 'apiKey', keyLocation: 'body' } },
			{ authentication: 'apiKey' as const, credential: { apiKey: 'k-0123456789', keyName: 'access_key', keyLocation: 'query' } },
			{ authentication: 'apiKey' as const, credential: { apiKey: 'k-0123456789', keyName: 'X-Key', keyLocation: 'header' } },
			{ authentication: 'basicAuth' as const, credential: { username: 'u', password: 'pä ss' } },
		);
		// Mostly valid mappings (unique names; 'email' and 'apiKey' stay free for the email and a body API key), some
		// arbitrary ones; placeholders mostly name a parameter of the request, sometimes not.
		const uniqueName = fc.oneof(fc.constantFrom('first_name', 'SubscriberID', 'city', '__proto__', 'constructor', 'toString', 'a&b', 'x y', 'ä', 'name[]', 'x.y', '%41', '0', '1'), placeholderName);
		const validMapping: fc.Arbitrary<MappingConfig> = fc.uniqueArray(uniqueName, { minLength: 1, maxLength: 8 }).chain((names) =>
			fc
				.record({
					sendEmail: fc.boolean(),
					split: fc.nat({ max: names.length }),
					values: fc.array(jsonLike, { minLength: names.length, maxLength: names.length }),
					defaults: fc.array(fc.oneof(fc.constant(undefined), oddString), { minLength: names.length, maxLength: names.length }),
				})
				.map(({ sendEmail, split, values, defaults }) => ({
					sendEmail,
					emailParameterName: 'email',
					fields: names.slice(0, split).map((parameterName, i) => ({ parameterName, value: values[i], defaultValue: defaults[i] })),
					staticValues: names.slice(split).map((name, i) => ({ name, value: values[split + i] })),
				})),
		);
		const setup = fc
			.record({
				mapping: fc.oneof({ weight: 4, arbitrary: validMapping }, { weight: 1, arbitrary: mappingArb }),
				auth: credentials,
			})
			.chain(({ mapping, auth }) => {
				const names = [
					...(mapping.sendEmail ? ['email'] : []),
					...mapping.fields.map((f) => f.parameterName.trim()),
					...mapping.staticValues.map((v) => v.name.trim()),
					...(auth.credential?.keyLocation === 'body' ? ['apiKey'] : []),
				].filter((n) => /^[A-Za-z0-9](?:[A-Za-z0-9.\-[\]]|_(?!_))*$/.test(n) && !n.endsWith('_'));
				const phName = names.length ? fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constant('nope') }) : fc.constant('nope');
				return fc.record({ mapping: fc.constant(mapping), auth: fc.constant(auth), phNames: fc.array(phName, { minLength: 8, maxLength: 8 }) });
			});
		fc.assert(
			fc.property(
				itemJson,
				setup,
				templateArb,
				fc.constantFrom('POST', 'GET') as fc.Arbitrary<'POST' | 'GET'>,
				fc.constantFrom('json', 'form') as fc.Arbitrary<'json' | 'form'>,
				(json, { mapping, auth, phNames }, template, method, format) => {
					counts.build++;
					const tpl = render(template, (i) => `__${phNames[i]}__`);
					const config: OutboundConfig = { name: 'Fuzz', label: '', url: tpl.url, method, format, mapping, authentication: auth.authentication, headers: { 'user-agent': 'fuzz' } };
					let built: ReturnType<typeof buildRequest>;
					try {
						built = buildRequest(json, config, auth.credential);
					} catch (error) {
						assert.ok(error instanceof OutboundParameterError, `not an OutboundParameterError: ${String((error as Error)?.stack ?? error)}`);
						assert.ok(error instanceof MappingError || error instanceof PlaceholderError || error instanceof RequestBuildError);
						outcomes.buildError++;
						assert.ok(error.message.trim().length > 0);
						assert.ok(['url', 'fields', 'staticValues', 'emailParameterName', 'credential keyName'].includes(error.parameter), error.parameter);
						assertNoPollution();
						return;
					}
					outcomes.buildOk++;
					const { request, params } = built;
					assert.equal(new URL(request.url).origin, new URL(template.origin).origin, 'same origin after placeholders and auth');
					const sent: Array<[string, string]> = [...params];
					if (auth.authentication === 'apiKey' && auth.credential?.keyLocation === 'body') sent.push(['apiKey', auth.credential.apiKey]);
					if (method === 'GET') {
						assert.equal(request.body, null);
						const q = [...new URL(request.url).searchParams];
						// the template's own query first, then every parameter (then a query API key)
						const tail = q.slice(tpl.query.length, tpl.query.length + sent.length);
						assert.deepEqual(tail, sent.map(([k, v]) => [usv(k), usv(v)]));
					} else if (format === 'json') {
						const parsed = JSON.parse(request.body!) as Record<string, unknown>;
						// (integer-like keys come first in any JS object, so compare as sets of entries)
						assert.deepEqual(Object.entries(parsed).sort(byKey), [...sent].sort(byKey));
					} else {
						assert.deepEqual([...new URLSearchParams(request.body!)], sent.map(([k, v]) => [usv(k), usv(v)]));
					}
					if (auth.authentication === 'apiKey' && auth.credential?.keyLocation === 'query') assert.equal(new URL(request.url).searchParams.get('access_key'), 'k-0123456789');
					assertNoPollution();
				},
			),
			{ numRuns: 800, seed: SEED + 8 },
		);
	});

	it('300 values in a host placeholder: the host cannot escape its suffix; an unparseable URL fails the item, never throws', async () => {
		await fc.assert(
			fc.asyncProperty(oddString, async (value) => {
				counts.hostPlaceholder++;
				const config: OutboundConfig = {
					name: 'Host',
					label: '',
					url: 'https://__sub__.crm.example.com/hook',
					method: 'POST',
					format: 'json',
					authentication: 'none',
					headers: {},
					mapping: { sendEmail: false, emailParameterName: 'email', fields: [{ value, parameterName: 'sub', defaultValue: 'default' }], staticValues: [] },
				};
				const built = buildRequest({}, config, undefined);
				let parsed: URL | null = null;
				try {
					parsed = new URL(built.request.url);
				} catch {
					parsed = null;
				}
				if (parsed) {
					assert.ok(parsed.hostname.endsWith('.crm.example.com'), `host escaped: ${parsed.hostname.slice(0, 100)}`);
					assert.equal(parsed.pathname, '/hook');
					assert.equal(parsed.search, '');
				}
				const contacted: string[] = [];
				const result = await deliver(
					built.request,
					{ policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 1 }, host: NO_BREAKER, hostRule: true, timeoutMs: 1000, maxRedirects: 0 },
					{
						send: async (req) => {
							contacted.push(req.url);
							return { statusCode: 204, headers: {}, body: '' };
						},
						sleep: async () => {},
						random: () => 0.5,
						now: () => 0,
						checkTarget: async () => ({ ok: true, addresses: [] }),
						hosts: hostsOn({ now: () => 0, sleep: async () => {} }),
					},
				);
				if (parsed) {
					outcomes.hostOk++;
					assert.equal(result.status, 'delivered');
					assert.equal(contacted.length, 1);
				} else {
					outcomes.hostInvalid++;
					assert.equal(result.status, 'failed');
					assert.match(result.reason ?? '', /not a valid absolute URL/);
					assert.equal(contacted.length, 0);
				}
			}),
			{ numRuns: 300, seed: SEED + 9 },
		);
	});
});

after(() => {
	const total = Object.values(counts).reduce((a, b) => a + b, 0);
	console.log(
		`# fuzz-outbound: ${total} generated cases (${Object.entries(counts)
			.map(([k, v]) => `${k} ${v}`)
			.join(', ')})`,
	);
	console.log(`# fuzz-outbound outcomes: ${JSON.stringify(outcomes)}`);
	assert.ok(total >= 5_000, `only ${total} runs`);
	for (const [k, v] of Object.entries(outcomes)) assert.ok(v >= 20, `the generators produced only ${v} cases of ${k}`);
	assert.ok(counts.expansion >= 1000, `only ${counts.expansion} expansion runs (too many dot segments skipped?)`);
	assertNoPollution();
});
