/**
 * Reliability: property-based fuzzing of the trigger's request handling. The bulk runs through the pure core
 * (parseRequest → authenticate → classifyEvent → normalizeContact → handleInboundRequest), a few hundred through
 * the real webhook (n8n-core WebhookContext + express over HTTP). Properties, for every generated request:
 * nothing throws; the answer is 200 or a 400/401/415/422 with a non-empty reason; the defensive catch-all
 * ("could not be processed") is never reached; no known secret value appears anywhere in the outcome.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { classifyEvent, isTestEvent } from '../../nodes/core/inbound/classify';
import { DedupeStore } from '../../nodes/core/inbound/dedupe';
import { handleInboundRequest, type IncomingRequest, type Outcome, type TriggerConfig } from '../../nodes/core/inbound/handle';
import { normalizeContact, normalizePhone } from '../../nodes/core/inbound/normalize';
import { parseRequest } from '../../nodes/core/inbound/parse';
import type { Params, Rejection } from '../../nodes/core/inbound/types';
import { KlickTippOutboundTrigger } from '../../nodes/KlickTippOutboundTrigger/KlickTippOutboundTrigger.node.js';
import { send, startWebhookHarness, type Harness } from '../helpers/webhook-harness';
import { API_KEY, CREDENTIAL, PASSWORD, SIGNING_SECRET, USERNAME } from './helpers';

const SEED = 20261122;
const FORM = 'application/x-www-form-urlencoded';
const INBOUND_SECRETS = [API_KEY, PASSWORD, SIGNING_SECRET];
/** The spellings of the trigger's secrets that must never be echoed. */
const forbiddenForms = (secrets: readonly string[]) => [...new Set(secrets.flatMap((s) => [s, encodeURIComponent(s), encodeURIComponent(s).replace(/%20/g, '+'), JSON.stringify(s).slice(1, -1)]))];
const FORBIDDEN = forbiddenForms(INBOUND_SECRETS);

const counts = { core: 0, parser: 0, classifier: 0, normalizer: 0, http: 0 };

/** Fails when a secret (of `secrets`, default: all known ones) appears in any spelling in `text`. */
function assertNoSecret(text: string, context: string, forms: readonly string[] = FORBIDDEN): void {
	for (const form of forms) {
		if (text.includes(form)) assert.fail(`a secret leaked (${form.slice(0, 6)}…) in ${context}: ${text.slice(0, 300)}`);
	}
}

function assertAnswer(outcome: Outcome): void {
	if (outcome.kind === 'rejected') {
		assert.ok([400, 401, 415, 422].includes(outcome.httpStatus), `status ${outcome.httpStatus}`);
		assert.equal(outcome.body.code, outcome.httpStatus);
		assert.equal(typeof outcome.body.reason, 'string');
		assert.ok(outcome.body.reason.trim().length > 0, 'empty reason');
		assert.doesNotMatch(outcome.body.reason, /^The request (could not be processed|cannot be parsed):/, 'an internal exception reached the catch-all');
	} else {
		assert.equal(outcome.httpStatus, 200);
		assert.ok(['accepted', 'duplicate', 'ignored-test'].includes(outcome.kind));
		if (outcome.kind === 'accepted') assert.ok(outcome.item, 'an accepted request carries its item');
	}
}

// ---------- generators ----------

const controlChar = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const oddText = fc.oneof(
	fc.string({ maxLength: 12 }),
	fc.string({ unit: 'binary', maxLength: 12 }),
	fc.string({ unit: fc.oneof(controlChar, loneSurrogate, fc.constantFrom('%', '+', '&', '=', '"', '\\', '[', ']', '\r\n', '\u0000', '\ufeff')), maxLength: 8 }),
	fc.constantFrom('', ' ', 'deletion', ' DELETE ', '12345', 'a@b.de', ' Max@Example.DE ', '0049 170 123-45', '%', '%zz', '%C3%28', '%FF', '+', '__proto__'),
);
const secretValue = fc.constantFrom(API_KEY, PASSWORD, SIGNING_SECRET, `prefix ${API_KEY} suffix`, `${PASSWORD}\n`, ` ${API_KEY} `, encodeURIComponent(SIGNING_SECRET));
const hugeValue = fc.integer({ min: 10_000, max: 300_000 }).chain((n) => fc.constantFrom('x', 'ü', '%', '\u0000').map((c) => c.repeat(n)));
const value = fc.oneof({ weight: 6, arbitrary: oddText }, { weight: 2, arbitrary: secretValue }, { weight: 1, arbitrary: hugeValue });
const key = fc.oneof(
	fc.constantFrom('email', 'EMAIL', 'EmailAddress', 'SubscriberID', 'subscriberid', 'contact_id', 'id', 'apiKey', 'APIKEY', 'event', 'Event', 'PhoneNumber', 'CustomFieldFirstName', 'CustomField219989', 'customfield', 'Authorization', '__proto__', 'constructor', 'toString', 'hasOwnProperty'),
	fc.constantFrom('a[b]', 'a[b][c]', 'tags[]', 'a[]', '[x]', 'a.b', 'a%5Bb%5D', '%5F%5Fproto%5F%5F', '__proto__[polluted]', 'constructor[prototype][x]'),
	fc.string({ maxLength: 8 }),
);
const pairs = fc.array(fc.tuple(key, value), { maxLength: 10 });
/** A form body from pairs, with both encoded and raw spellings, duplicates as generated. */
const formBytes = fc.tuple(pairs, fc.boolean(), fc.constantFrom('&', '&&', '&;')).map(([ps, encode, sep]) =>
	Buffer.from(ps.map(([k, v]) => (encode ? `${encodeURIComponent(k).replace(/%25/g, '%')}=${encodeURIComponent(v.replace(/[\ud800-\udfff]/g, '?'))}` : `${k}=${v}`)).join(sep), 'utf8'),
);
const invalidUtf8 = fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom([0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]), fc.string({ maxLength: 10 })).map(([a, bad, b]) =>
	Buffer.concat([Buffer.from(a), Buffer.from(bad), Buffer.from(b)]),
);
const jsonObj = fc.dictionary(key, fc.oneof(value, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 8 });
const malformedJson = fc.oneof(
	jsonObj.map((o) => JSON.stringify(o)).chain((s) => fc.integer({ min: 0, max: Math.max(0, s.length - 1) }).map((n) => s.slice(0, n))),
	fc.constantFrom('{', '}', '{"a":}', '{"a" 1}', "{'a':1}", '{"a":1,}', 'NaN', 'undefined', '{"a":1}{"b":2}', '\ufeff\ufeff{}', '{"__proto__":{"x":1}}', `{"a":${'['.repeat(64)}${']'.repeat(64)}}`, '[]', 'null', '"str"', '1e999'),
	fc.string({ unit: 'binary', maxLength: 30 }),
);
const jsonBytes = fc.oneof(
	jsonObj.map((o) => Buffer.from(JSON.stringify(o), 'utf8')),
	jsonObj.map((o) => Buffer.from(JSON.stringify(o).replace(/"([^"]*)":/g, '"$1":"dup","$1":'), 'utf8')), // duplicate keys
	malformedJson.map((s) => Buffer.from(s, 'utf8')),
	invalidUtf8.map((b) => Buffer.concat([Buffer.from('{"email":"'), b, Buffer.from('"}')])),
	fc.constant(Buffer.from('{"email":"\\ud800x@b.de","SubscriberID":"\\udfff"}')),
);
const boundaryArb = fc.constantFrom('XYZ', '----kt123', 'a b', 'ä', '"quoted"', '', '--', 'x'.repeat(80));
/** A multipart body, possibly broken: wrong / missing boundary, truncated, missing CRLF, nameless parts. */
const multipart = fc.tuple(boundaryArb, pairs, fc.constantFrom('ok', 'truncate', 'otherBoundary', 'noClose', 'noHeaderEnd', 'noName', 'lfOnly', 'filePart', 'invalidUtf8')).chain(([boundary, ps, mutation]) =>
	fc.integer({ min: 0, max: 400 }).map((cut) => {
		const parts = ps.map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k.replace(/"/g, '\\"')}"\r\n\r\n${v}\r\n`);
		let text = parts.join('') + `--${boundary}--\r\n`;
		if (mutation === 'truncate') text = text.slice(0, cut);
		if (mutation === 'otherBoundary') text = text.split(boundary).join('OTHER');
		if (mutation === 'noClose') text = parts.join('');
		if (mutation === 'noHeaderEnd') text = text.replace(/\r\n\r\n/, '\r\n');
		if (mutation === 'noName') text = `--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n` + text;
		if (mutation === 'lfOnly') text = text.replace(/\r\n/g, '\n');
		if (mutation === 'filePart') text = `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nFILE\r\n` + text;
		let raw = Buffer.from(text, 'utf8');
		if (mutation === 'invalidUtf8') raw = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="email"\r\n\r\n`), Buffer.from([0xc3, 0x28]), Buffer.from(`\r\n--${boundary}--\r\n`)]);
		const headers = [`multipart/form-data; boundary=${boundary}`, `multipart/form-data; boundary="${boundary}"`, 'multipart/form-data', `multipart/form-data; boundary=${boundary}x`, `Multipart/Form-Data; charset=latin1; boundary=${boundary}`];
		const header = headers[cut % headers.length];
		return { raw, header };
	}),
);
const contentType = fc.oneof(
	fc.constantFrom(FORM, `${FORM}; charset=UTF-8`, `${FORM}; charset=iso-8859-1`, `${FORM}; charset=shift_jis`, `${FORM};charset="utf-8"`, 'APPLICATION/JSON', 'application/json', 'application/json; charset=koi8-r', 'application/vnd.kt+json', 'text/plain', 'text/xml', 'application/xml', 'application/octet-stream', '', ';', '/', 'application/x-www-form-urlencoded;;;', 'image/png'),
	fc.string({ maxLength: 20 }),
);
const body = fc.oneof(
	{ weight: 3, arbitrary: formBytes },
	{ weight: 3, arbitrary: jsonBytes },
	{ weight: 1, arbitrary: invalidUtf8 },
	{ weight: 1, arbitrary: fc.uint8Array({ maxLength: 80 }).map((a) => Buffer.from(a)) },
	{ weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
);
const urlArb = fc.oneof(
	fc.constant('/webhook/kt'),
	formBytes.map((q) => `/webhook/kt?${q.toString('latin1')}`),
	fc.constantFrom(`/webhook/kt?apiKey=${API_KEY}`, `/webhook/kt?apiKey=${encodeURIComponent(API_KEY)}&email=a%40b.de`, '/webhook/kt?email=a%40b.de#frag', '/webhook/kt?%', '/webhook/kt?=x', '/webhook/kt?a=%C3%28', `/webhook/kt?SubscriberID=12345&email=test%40kt.de&apiKey=${API_KEY}`),
);
const basicHeader = fc.constantFrom(
	`Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`,
	`Basic ${Buffer.from(`${USERNAME}:wrong`).toString('base64')}`,
	'Basic !!!',
	`Bearer ${API_KEY}`,
	`basic ${Buffer.from(PASSWORD).toString('base64')}`,
	'',
);
const headersArb = fc.record(
	{ authorization: basicHeader, apikey: fc.constantFrom(API_KEY, `Bearer ${API_KEY}`, 'wrong', ''), 'x-odd': oddText, 'webhook-id': fc.constantFrom('msg_1', ''), 'webhook-timestamp': fc.constantFrom('0', '1767323045', 'x'), 'webhook-signature': fc.constantFrom('v1,AAAA', `v1,${SIGNING_SECRET}`, '') },
	{ requiredKeys: [] },
);
const preParsedBody = fc.oneof(
	fc.constant(undefined),
	fc.dictionary(key, fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 6 }),
	fc.record({ data: fc.oneof(fc.dictionary(key, fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 6 }), fc.constant('x'), fc.constant(null)), files: fc.constant({}) }),
	fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 })) as fc.Arbitrary<unknown>,
);

const requestArb: fc.Arbitrary<IncomingRequest> = fc.oneof(
	// raw body present (everything n8n does not parse as multipart)
	fc.record({ method: fc.constantFrom('POST', 'post', 'GET', 'PUT', 'DELETE', ''), contentType, rawBody: body, url: urlArb, headers: headersArb }),
	// multipart bodies, raw (our own parser) — possibly broken
	fc.record({ method: fc.constant('POST'), mp: multipart, url: urlArb, headers: headersArb }).map(({ mp, ...r }) => ({ ...r, contentType: mp.header, rawBody: mp.raw })),
	// no raw body: what n8n pre-parsed (multipart → { data, files }, or odd shapes)
	fc.record({ method: fc.constantFrom('POST', 'GET'), contentType, body: preParsedBody, query: preParsedBody, headers: headersArb }),
).map((r) => ({ ...r, headers: { ...r.headers, ...(r.contentType !== undefined ? { 'content-type': r.contentType } : {}) } }) as IncomingRequest);

const configArb: fc.Arbitrary<TriggerConfig> = fc.record({
	authentication: fc.constantFrom('none', 'apiKey', 'basicAuth', 'signature', 'bogus'),
	eventType: fc.constantFrom('contactData', 'deletionRequest', 'auto', 'other'),
	eventParameter: fc.constantFrom(undefined, 'event', 'EVENT', '', ' ', 'type'),
	ignoreTestEvents: fc.boolean(),
	dedupeSeconds: fc.constantFrom(0, 60, -1, Number.NaN),
	includeRawBody: fc.boolean(),
	includeHeaders: fc.boolean(),
});
const credentialArb = fc.oneof(
	{ weight: 4, arbitrary: fc.constantFrom('body', 'query', 'header', 'somewhere', undefined).map((keyLocation) => ({ ...CREDENTIAL, keyLocation })) },
	{ weight: 1, arbitrary: fc.constant(undefined) },
	{ weight: 1, arbitrary: fc.constant({ ...CREDENTIAL, apiKey: '', signingSecret: 'whsec_!!' }) },
);

describe('reliability: fuzzing the trigger core', () => {
	const store = new DedupeStore(5000, () => 1_767_323_045_000);

	it('handleInboundRequest: 6,000 odd requests → 200 or 4xx with a reason, never a throw, never a secret', () => {
		fc.assert(
			fc.property(requestArb, configArb, credentialArb, (request, config, credential) => {
				counts.core++;
				// As the node does: no credential is loaded for authentication "none" (then the trigger knows no
				// secret and the sender's data is echoed as sent).
				const loaded = config.authentication === 'none' ? undefined : credential;
				const outcome = handleInboundRequest(request, config, { credential: loaded, nowMs: 1_767_323_045_000, dedupe: { store, scope: 'fuzz' } });
				assertAnswer(outcome);
				// Only the loaded credential's own secrets are known to the trigger (a broken credential holds fewer).
				if (loaded) {
					const own = INBOUND_SECRETS.filter((secret) => Object.values(loaded).includes(secret));
					assertNoSecret(JSON.stringify(outcome), 'the outcome', forbiddenForms(own));
				}
			}),
			{ numRuns: 6000, seed: SEED },
		);
	});

	it('parseRequest: 2,000 odd requests → params (null prototype, no __proto__) or a 400/415 with a reason', () => {
		fc.assert(
			fc.property(requestArb, (request) => {
				counts.parser++;
				const r = parseRequest(request);
				if (r.ok) {
					assert.ok(['GET', 'POST'].includes(r.method));
					for (const map of [r.params, r.query, r.body]) {
						assert.equal(Object.getPrototypeOf(map), null);
						assert.ok(!Object.prototype.hasOwnProperty.call(map, '__proto__'));
					}
					assert.ok(Object.keys(r.params).length > 0, 'an accepted request has parameters');
					assert.equal(({} as Record<string, unknown>).polluted, undefined);
				} else {
					const rej = r as Rejection;
					assert.ok([400, 415].includes(rej.status), `status ${rej.status}`);
					assert.ok(rej.reason.length > 0);
					assert.doesNotMatch(rej.reason, /^The request cannot be parsed:/, 'an internal exception reached the catch-all');
				}
			}),
			{ numRuns: 2000, seed: SEED + 1 },
		);
	});

	it('classifyEvent / isTestEvent / normalizeContact: 2,000 odd parameter maps → total functions with typed results', () => {
		const paramsArb = fc.dictionary(key, fc.oneof(value, fc.array(value, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)), { maxKeys: 12 }).map((o) => Object.assign(Object.create(null) as Params, o));
		fc.assert(
			fc.property(paramsArb, fc.constantFrom('contactData', 'deletionRequest', 'auto', '', 'x'), fc.oneof(fc.string({ maxLength: 6 }), fc.constant(undefined as unknown as string)), (params, eventType, eventParameter) => {
				counts.classifier++;
				counts.normalizer++;
				const event = classifyEvent(params, eventType, eventParameter);
				assert.ok(event === 'contactData' || event === 'deletionRequest');
				if (eventType === 'deletionRequest') assert.equal(event, 'deletionRequest');
				if (eventType !== 'auto' && eventType !== 'deletionRequest') assert.equal(event, 'contactData');
				const contact = normalizeContact(params);
				for (const k of ['id', 'email', 'firstName', 'lastName', 'phone'] as const) {
					const v = contact[k];
					if (v !== undefined) {
						assert.equal(typeof v, 'string');
						assert.equal(v, v.trim(), `${k} is trimmed`);
						assert.notEqual(v, '', `${k} is never empty`);
					}
				}
				if (contact.email !== undefined) assert.equal(contact.email, contact.email.toLowerCase());
				assert.equal(typeof isTestEvent(contact.id), 'boolean');
				for (const name of Object.keys(contact.fields)) assert.match(name, /^field./s);
				assert.equal(JSON.stringify(contact).length >= 2, true);
			}),
			{ numRuns: 2000, seed: SEED + 2 },
		);
		fc.assert(
			fc.property(oddText, (text) => {
				const phone = normalizePhone(text);
				assert.equal(typeof phone, 'string');
				if (/^\+/.test(phone) && phone !== text.trim()) assert.match(phone, /^\+[1-9]\d{7,14}$/);
			}),
			{ numRuns: 500, seed: SEED + 3 },
		);
	});
});

describe('reliability: fuzzing the trigger over real HTTP (n8n-core WebhookContext + express)', () => {
	const harnesses: Harness[] = [];
	after(async () => {
		for (const h of harnesses) await h.close();
	});

	it('300 odd requests: never a 500, always 2xx or 4xx with a reason, never a secret in answer or item', async () => {
		for (const authentication of ['apiKey', 'none', 'basicAuth']) {
			harnesses.push(
				await startWebhookHarness({
					nodeType: new KlickTippOutboundTrigger(),
					typeName: 'klickTippOutboundTrigger',
					parameters: { path: `fuzz-${authentication}`, authentication, eventType: 'auto', options: { includeRawBody: true, includeHeaders: true } },
					credentials: { klickTippOutboundApi: CREDENTIAL },
					workflowId: `wf-fuzz-${authentication}`,
				}),
			);
		}
		// fetch refuses invalid header values, so the HTTP requests use header-safe content types.
		const httpContentType = fc.constantFrom(FORM, `${FORM}; charset=UTF-8`, `${FORM}; charset=shift_jis`, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml', 'application/octet-stream', 'multipart/form-data; boundary=XYZ', 'multipart/form-data', 'image/png');
		const httpRequest = fc.oneof(
			fc.record({ method: fc.constantFrom('POST', 'GET', 'PUT'), contentType: httpContentType, raw: body, query: fc.constantFrom('', `?apiKey=${API_KEY}`, '?email=a%40b.de', '?%', '?a=%C3%28&a=2', '?a[b]=1&a[b]=2') }),
			fc.record({ method: fc.constant('POST'), mp: multipart, query: fc.constantFrom('', `?apiKey=${API_KEY}`) }).map(({ mp, ...r }) => ({ ...r, contentType: mp.header, raw: mp.raw })),
		);
		await fc.assert(
			fc.asyncProperty(httpRequest, fc.nat({ max: harnesses.length - 1 }), fc.constantFrom('', `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`, 'Basic Zm9v'), async (r, which, authorization) => {
				counts.http++;
				const h = harnesses[which];
				const headers: Record<string, string> = { 'content-type': r.contentType };
				if (authorization) headers.authorization = authorization;
				const answer = await send(h.url + r.query, { method: r.method, headers, body: r.method === 'GET' ? undefined : r.raw });
				const run = h.runs.at(-1);
				assert.notEqual(answer.status, 500, answer.text);
				assert.equal(run?.error, undefined, run?.error?.message);
				assert.ok((answer.status >= 200 && answer.status < 300) || (answer.status >= 400 && answer.status < 500), `status ${answer.status}`);
				if (answer.status >= 400) {
					// our node answers { reason }; n8n's own body parser answers 422 { message } before the node runs
					const reason = (answer.json.reason ?? answer.json.message) as unknown;
					assert.equal(typeof reason, 'string', answer.text);
					assert.ok((reason as string).length > 0);
				}
				if (h.node.parameters.authentication !== 'none') {
					assertNoSecret(answer.text, 'the HTTP answer');
					assertNoSecret(JSON.stringify(run?.workflowData ?? null), 'the emitted item');
				}
			}),
			{ numRuns: 300, seed: SEED + 4 },
		);
	});
});

after(() => {
	const total = counts.core + counts.parser + counts.classifier + counts.http;
	// Written to stdout so the run records what was generated; asserted so a shrunk numRuns cannot pass silently.
	console.log(`# fuzz-inbound: ${total} generated requests/param maps (core ${counts.core}, parser ${counts.parser}, classifier+normalizer ${counts.classifier}, HTTP ${counts.http})`);
	assert.ok(total >= 10_000, `only ${total} runs`);
});
