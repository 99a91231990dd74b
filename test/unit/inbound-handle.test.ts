import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';

import { handleInboundRequest, type AnsweredOutcome, type IncomingRequest, type Outcome, type TriggerConfig, type TriggerItemJson } from '../../nodes/core/inbound/handle';
import { DedupeStore } from '../../nodes/core/inbound/dedupe';
import { signPayload } from '../../nodes/core/signature';

const KEY = 'kt-api-key-0123456789abcdef';
const PASS = 'basic-pass-9876';
const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const cred = { apiKey: KEY, keyName: 'apiKey', keyLocation: 'body', username: 'kt', password: PASS, signingSecret: SECRET };
const NOW = Date.parse('2026-01-02T03:04:05Z');
const FORM = 'application/x-www-form-urlencoded';

const form = (body: string, url = '/webhook/kt'): IncomingRequest => ({ method: 'POST', contentType: FORM, rawBody: Buffer.from(body), url, headers: { 'content-type': FORM } });
const base: TriggerConfig = { authentication: 'apiKey', eventType: 'contactData', dedupeSeconds: 60 };

function accepted(o: Outcome): AnsweredOutcome & { item: TriggerItemJson } {
	assert.equal(o.kind, 'accepted', JSON.stringify(o.body));
	assert.ok('item' in o && o.item);
	return o as AnsweredOutcome & { item: TriggerItemJson };
}
function refused(o: Outcome, status: number, reason?: RegExp) {
	assert.equal(o.kind, 'rejected');
	if (o.kind !== 'rejected') return;
	assert.equal(o.httpStatus, status);
	assert.equal(o.body.status, 'rejected');
	assert.equal(o.body.code, status);
	if (reason) assert.match(o.body.reason, reason);
}

describe('inbound handle: accepted events', () => {
	it('builds the output item exactly as the contract says, without the API key', () => {
		const o = accepted(
			handleInboundRequest(
				form(`email=Max%40Example.de&SubscriberID=4711&CustomFieldFirstName=J%C3%BCrgen&PhoneNumber=0049170123456&CustomField219989=x&apiKey=${KEY}&source=kt`, `/webhook/kt?src=q&apiKey=${KEY}`),
				{ ...base, includeRawBody: true, includeHeaders: true },
				{ credential: cred, nowMs: NOW },
			),
		);
		assert.deepEqual(o.body, { status: 'accepted', event: 'contactData', eventId: o.item.eventId, isTest: false });
		assert.match(o.item.eventId, /^evt_[0-9a-f]{32}$/);
		assert.equal(o.output, 0);
		assert.deepEqual(Object.keys(o.item).sort(), ['contact', 'event', 'eventId', 'hint', 'isTest', 'params', 'rawBody', 'receivedAt', 'request', 'unmappedParameters']);
		assert.deepEqual(o.item.unmappedParameters, ['src', 'source']);
		assert.match(o.item.hint ?? '', /^Not used by the contact: src, source\. .*Options › Parameter Names/);
		assert.equal(o.item.receivedAt, '2026-01-02T03:04:05.000Z');
		assert.deepEqual(o.item.contact, { id: '4711', email: 'max@example.de', firstName: 'Jürgen', phone: '+49170123456', fields: { fieldFirstName: 'Jürgen', field219989: 'x' } });
		assert.deepEqual(o.item.params, { src: 'q', email: 'Max@Example.de', SubscriberID: '4711', CustomFieldFirstName: 'Jürgen', PhoneNumber: '0049170123456', CustomField219989: 'x', source: 'kt' });
		assert.deepEqual(o.item.request, { method: 'POST', contentType: FORM, query: { src: 'q' }, headers: { 'content-type': FORM } });
		assert.equal(Object.getPrototypeOf(o.item.params), Object.prototype);
		assert.ok(!JSON.stringify(o).includes(KEY), 'the API key leaked');
		assert.match(o.item.rawBody ?? '', /apiKey=\*\*\*/);
	});
	it('auto routes a deletion request to output 1; deletion requests need no email', () => {
		const o = accepted(handleInboundRequest(form(`apiKey=${KEY}&event=Deletion&SubscriberID=1`), { ...base, eventType: 'auto' }, { credential: cred }));
		assert.equal(o.item.event, 'deletionRequest');
		assert.equal(o.output, 1);
		const d = accepted(handleInboundRequest(form(`apiKey=${KEY}&x=1`), { ...base, eventType: 'deletionRequest' }, { credential: cred }));
		assert.equal(d.output, 0);
		assert.equal(d.item.event, 'deletionRequest');
	});
	it('uses the webhook-id of a signed request as eventId', () => {
		const body = JSON.stringify({ email: 'a@b.de' });
		const headers = signPayload(SECRET, 'msg_77', body, Math.floor(NOW / 1000));
		const o = accepted(
			handleInboundRequest({ method: 'POST', contentType: 'application/json', rawBody: Buffer.from(body), headers: { ...headers } }, { ...base, authentication: 'signature' }, { credential: cred, nowMs: NOW }),
		);
		assert.equal(o.item.eventId, 'msg_77');
	});
	it('no Content-Type: a signed form or JSON body is verified over its exact bytes and read as form / JSON', () => {
		const formBody = 'email=a%40b.de&SubscriberID=9&name=J%C3%BCrgen';
		const headers = signPayload(SECRET, 'msg_form', formBody, Math.floor(NOW / 1000));
		const f = accepted(
			handleInboundRequest({ method: 'POST', rawBody: Buffer.from(formBody), headers: { ...headers } }, { ...base, authentication: 'signature' }, { credential: cred, nowMs: NOW }),
		);
		assert.deepEqual(f.item.request, { method: 'POST', contentType: '(none; read as form)', query: {} });
		assert.deepEqual(f.item.params, { email: 'a@b.de', SubscriberID: '9', name: 'Jürgen' });
		assert.equal(f.item.eventId, 'msg_form');
		const jsonBody = '{"email":"a@b.de","SubscriberID":"9"}';
		const jsonHeaders = signPayload(SECRET, 'msg_json', jsonBody, Math.floor(NOW / 1000));
		const j = accepted(
			handleInboundRequest(
				{ method: 'POST', rawBody: Buffer.from(jsonBody), headers: { ...jsonHeaders } },
				{ ...base, authentication: 'signature' },
				{ credential: cred, nowMs: NOW },
			),
		);
		assert.equal(j.item.request.contentType, '(none; read as JSON)');
		// one byte changed after signing (a space the parser would not notice): refused
		const tampered = Buffer.from(jsonBody.replace(',', ', '));
		refused(handleInboundRequest({ method: 'POST', rawBody: tampered, headers: { ...jsonHeaders } }, { ...base, authentication: 'signature' }, { credential: cred, nowMs: NOW }), 401, /Signature invalid/);
		// not form, not a JSON object: 415 before any authentication
		refused(handleInboundRequest({ method: 'POST', rawBody: Buffer.from('hello'), headers: { ...headers } }, { ...base, authentication: 'signature' }, { credential: cred, nowMs: NOW }), 415, /no Content-Type/);
	});
	it('accepts what the standardwebhooks library signs: whsec_ secrets, and plain secrets as format raw', () => {
		const body = JSON.stringify({ email: 'a@b.de' });
		const at = new Date(NOW);
		for (const [signingSecret, wh] of [
			[SECRET, new Webhook(SECRET)],
			['a plain secret, no prefix', new Webhook('a plain secret, no prefix', { format: 'raw' })],
		] as const) {
			const headers = { 'webhook-id': 'msg_lib', 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': wh.sign('msg_lib', at, body) };
			const request: IncomingRequest = { method: 'POST', contentType: 'application/json', rawBody: Buffer.from(body), headers };
			const o = accepted(handleInboundRequest(request, { ...base, authentication: 'signature' }, { credential: { signingSecret }, nowMs: NOW }));
			assert.equal(o.item.eventId, 'msg_lib');
			refused(handleInboundRequest({ ...request, rawBody: Buffer.from(`${body} `) }, { ...base, authentication: 'signature' }, { credential: { signingSecret }, nowMs: NOW }), 401);
		}
	});
	it('masks a secret in the raw body also in its JSON-escaped spelling', () => {
		const odd = 'key"with\\quote';
		const body = JSON.stringify({ email: 'a@b.de', apiKey: odd, note: `copy ${odd}` });
		const o = accepted(
			handleInboundRequest({ method: 'POST', contentType: 'application/json', rawBody: Buffer.from(body), headers: {} }, { ...base, includeRawBody: true }, { credential: { ...cred, apiKey: odd } }),
		);
		assert.equal(o.item.rawBody, '{"email":"a@b.de","apiKey":"***","note":"copy ***"}');
		assert.deepEqual(o.item.params, { email: 'a@b.de', note: 'copy ***' });
	});
});

describe('inbound handle: test events and duplicates', () => {
	it('flags the test event, or ignores it when asked; test events are never de-duplicated', () => {
		const store = new DedupeStore(100, () => NOW);
		const dedupe = { store, scope: 's' };
		const t = accepted(handleInboundRequest(form(`apiKey=${KEY}&SubscriberID=12345&email=test@klicktipp.com`), base, { credential: cred, dedupe }));
		assert.equal(t.item.isTest, true);
		assert.equal(accepted(handleInboundRequest(form(`apiKey=${KEY}&SubscriberID=12345&email=test@klicktipp.com`), base, { credential: cred, dedupe })).item.isTest, true);
		const ignored = handleInboundRequest(form(`apiKey=${KEY}&SubscriberID=12345`), { ...base, ignoreTestEvents: true }, { credential: cred, dedupe });
		assert.equal(ignored.kind, 'ignored-test');
		assert.deepEqual(ignored.body, { status: 'ignored-test', event: 'contactData', eventId: (ignored.body as { eventId: string }).eventId, isTest: true });
		assert.equal('item' in ignored, false);
	});
	it('answers a repeat within dedupeSeconds as duplicate; 0 turns it off', () => {
		let now = NOW;
		const store = new DedupeStore(100, () => now);
		const dedupe = { store, scope: 's' };
		const first = accepted(handleInboundRequest(form(`apiKey=${KEY}&email=a@b.de`), base, { credential: cred, dedupe }));
		const again = handleInboundRequest(form(`email=a@b.de&apiKey=${KEY}`), base, { credential: cred, dedupe });
		assert.equal(again.kind, 'duplicate');
		assert.equal((again.body as { eventId: string }).eventId, first.item.eventId);
		now += 61_000;
		assert.equal(handleInboundRequest(form(`apiKey=${KEY}&email=a@b.de`), base, { credential: cred, dedupe }).kind, 'accepted');
		assert.equal(handleInboundRequest(form(`apiKey=${KEY}&email=a@b.de`), { ...base, dedupeSeconds: 0 }, { credential: cred, dedupe }).kind, 'accepted');
	});
});

describe('inbound handle: rejections', () => {
	it('400, 401, 415 and 422 with reasons and no secrets', () => {
		refused(handleInboundRequest(form(''), base, { credential: cred }), 400, /No parameters/);
		refused(handleInboundRequest(form('email=a@b.de&apiKey=wrong'), base, { credential: cred }), 401, /does not match/);
		refused(handleInboundRequest({ ...form('x'), contentType: 'text/plain' }, base, { credential: cred }), 415, /text\/plain/);
		refused(handleInboundRequest(form(`apiKey=${KEY}&CustomFieldFirstName=Max`), base, { credential: cred }), 422, /email address .* or a contact ID/);
		refused(handleInboundRequest(form(`apiKey=${KEY}&email=a@b.de`), base, {}), 401, /credential/);
		const basic = handleInboundRequest(form('email=a@b.de'), { ...base, authentication: 'basicAuth' }, { credential: cred });
		refused(basic, 401);
		assert.deepEqual(basic.headers, { 'WWW-Authenticate': 'Basic realm="KlickTipp Outbound"' });
	});
	it('an unknown authentication setting is refused with 401, never accepted', () => {
		for (const authentication of ['unknownMode', '', 'APIKEY']) {
			refused(handleInboundRequest(form(`apiKey=${KEY}&email=a@b.de`), { ...base, authentication }, { credential: cred }), 401, /authentication setting .* is unknown/);
		}
	});
});

describe('inbound handle: property-based (odd requests never throw, never leak)', () => {
	it('always answers 200 or a 4xx with a reason, and never echoes a secret', () => {
		const secretArb = fc.constantFrom(KEY, PASS, SECRET, encodeURIComponent(KEY));
		const keyArb = fc.oneof(fc.constantFrom('email', 'SubscriberID', 'apiKey', '__proto__', 'constructor', 'a[b]', 'event', 'Authorization', 'PhoneNumber'), fc.string({ maxLength: 8 }));
		const valueArb = fc.oneof(fc.string({ maxLength: 20 }), secretArb, fc.constantFrom('deletion', '12345', 'a@b.de', '%', '%zz', '%C3%28', '+'));
		const formBody = fc.array(fc.tuple(keyArb, valueArb), { maxLength: 8 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
		const bodyArb = fc.oneof(
			formBody.map((s) => Buffer.from(s)),
			fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
			fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
			fc.constant(Buffer.alloc(0)),
		);
		const ctArb = fc.constantFrom(FORM, 'application/json', 'multipart/form-data; boundary=b', 'text/plain', '', 'application/x-www-form-urlencoded; charset=latin1', 'application/json; charset=koi8-r');
		const reqArb = fc.record({
			method: fc.constantFrom('GET', 'POST', 'post', 'PUT'),
			contentType: ctArb,
			rawBody: bodyArb,
			url: fc.oneof(fc.constant('/w'), formBody.map((q) => `/w?${q}`)),
		});
		const cfgArb = fc.record({
			authentication: fc.constantFrom('none', 'apiKey', 'basicAuth', 'signature'),
			eventType: fc.constantFrom('contactData', 'deletionRequest', 'auto'),
			includeRawBody: fc.boolean(),
			includeHeaders: fc.boolean(),
		});
		fc.assert(
			fc.property(reqArb, cfgArb, (r, cfg) => {
				const outcome = handleInboundRequest({ ...r, headers: { 'content-type': r.contentType, authorization: `Basic ${Buffer.from(`kt:${PASS}`).toString('base64')}` } }, cfg, { credential: cred });
				const text = JSON.stringify(outcome);
				assert.ok(!text.includes(KEY) && !text.includes(PASS) && !text.includes(SECRET), text);
				if (outcome.kind === 'rejected') {
					assert.ok([400, 401, 415, 422].includes(outcome.httpStatus));
					assert.ok(outcome.body.reason.length > 0);
				} else {
					assert.equal(outcome.httpStatus, 200);
				}
			}),
			{ numRuns: 2000 },
		);
	});
});

describe('inbound handle: renamed parameters', () => {
	it('maps them into the contact; no hint when every parameter is used; invalid option: 500 with the reason, nothing starts', () => {
		const config = { ...base, parameterNames: { mapping: [{ parameterName: 'vorname', contactField: 'firstName' }, { parameterName: 'tarif', contactField: 'field', fieldName: 'tarif' }] } };
		const o = accepted(handleInboundRequest(form(`apiKey=${KEY}&email=a%40b.de&vorname=J%C3%BCrgen&tarif=Gold`), config, { credential: cred }));
		assert.equal(o.item.contact.firstName, 'Jürgen');
		assert.equal(o.item.contact.fields.tarif, 'Gold');
		assert.equal(o.item.unmappedParameters, undefined);
		assert.equal(o.item.hint, undefined);
		const hinted = accepted(handleInboundRequest(form(`apiKey=${KEY}&email=a%40b.de&vorname=J%C3%BCrgen&tarif=Gold`), base, { credential: cred }));
		assert.deepEqual(hinted.item.unmappedParameters, ['vorname', 'tarif']);
		const auto = accepted(handleInboundRequest(form(`apiKey=${KEY}&email=a%40b.de&event=contact`), { ...base, eventType: 'auto' }, { credential: cred }));
		assert.equal(auto.item.unmappedParameters, undefined, 'the event parameter is used (Auto)');
		const bad = handleInboundRequest(form(`apiKey=${KEY}&email=a%40b.de`), { ...base, parameterNames: { mapping: [{ parameterName: 'tarif', contactField: 'field' }] } }, { credential: cred });
		assert.equal(bad.kind, 'rejected');
		assert.equal(bad.httpStatus, 500);
		assert.match((bad.body as { reason: string }).reason, /^The trigger is misconfigured\. Option "Parameter Names" \(options\.parameterNames\): mapping 1 \("tarif"\) maps to a custom field but has no Field Name$/);
	});
});

describe('inbound handle: IP allowlist', () => {
	const config = { ...base, ipAllowlist: '203.0.113.0/24, 2001:db8::/32' };
	const at = (ip: string | undefined, body = `apiKey=${KEY}&email=a%40b.de`, ips: string[] = []) => ({ ...form(body), ip, ips });
	it('an allowed caller passes; another is refused with 403 before parsing and authentication; a broken list: 500', () => {
		accepted(handleInboundRequest(at('203.0.113.9'), config, { credential: cred }));
		accepted(handleInboundRequest(at('::ffff:203.0.113.9'), config, { credential: cred }));
		accepted(handleInboundRequest(at('10.0.0.1', undefined, ['203.0.113.9']), config, { credential: cred }));
		for (const [ip, body] of [['198.51.100.1', `apiKey=${KEY}&email=a%40b.de`], ['198.51.100.1', 'apiKey=wrong'], [undefined, '']] as const) {
			const o = handleInboundRequest(at(ip, body), config, { credential: cred });
			assert.equal(o.kind, 'rejected');
			assert.equal(o.httpStatus, 403, 'refused before the empty body (400) or the wrong key (401)');
			assert.equal((o.body as { reason: string }).reason, `The caller's address ${ip ?? 'unknown'} is not in the trigger's IP Allowlist`);
		}
		const broken = handleInboundRequest(at('203.0.113.9'), { ...base, ipAllowlist: '203.0.113.0/24, intranet' }, { credential: cred });
		assert.equal(broken.httpStatus, 500);
		assert.match((broken.body as { reason: string }).reason, /^The trigger is misconfigured\. Option "IP Allowlist" \(options\.ipAllowlist\): "intranet" is not an IPv4 or IPv6 address/);
		accepted(handleInboundRequest(at(undefined), base, { credential: cred }));
	});
});

describe('inbound handle: Include Headers masks secret-like headers', () => {
	it('Authorization, cookies, the API key header and API-key/token-like names are ***; others are kept', () => {
		const req = { ...form(`apiKey=${KEY}&email=a%40b.de`), headers: { 'content-type': FORM, 'x-auth-token': 'tok-abc', 'X-Api-Key': 'other-key', cookie: 'a=b', 'x-request-id': 'r1' } };
		const o = accepted(handleInboundRequest(req, { ...base, includeHeaders: true }, { credential: cred }));
		assert.deepEqual(o.item.request.headers, { 'content-type': FORM, 'x-auth-token': '***', 'x-api-key': '***', cookie: '***', 'x-request-id': 'r1' });
	});
});
