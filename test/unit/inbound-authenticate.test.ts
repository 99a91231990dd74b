import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';

import { authenticate, WWW_AUTHENTICATE, type AuthRequest } from '../../nodes/core/inbound/authenticate';
import type { KlickTippCredential } from '../../nodes/core/credential';
import { signPayload } from '../../nodes/core/signature';
import { emptyParams, type Params, type Rejection } from '../../nodes/core/inbound/types';

const KEY = 'k3y-' + randomBytes(12).toString('hex');
const PASS = 'p@ss-' + randomBytes(8).toString('hex');
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const cred: KlickTippCredential = { apiKey: KEY, keyName: 'apiKey', keyLocation: 'body', username: 'kt', password: PASS, signingSecret: SECRET };

function params(obj: Record<string, unknown>): Params {
	const p = emptyParams();
	Object.assign(p, obj);
	return p;
}
function req(over: Partial<AuthRequest> = {}): AuthRequest {
	return { method: 'POST', headers: {}, query: emptyParams(), body: emptyParams(), contentType: 'application/x-www-form-urlencoded', ...over };
}
function denied(result: ReturnType<typeof authenticate>, reason?: RegExp): Rejection {
	assert.equal(result.ok, false, 'expected 401');
	const r = result as Rejection;
	assert.equal(r.status, 401);
	for (const secret of [KEY, PASS, SECRET]) assert.ok(!r.reason.includes(secret), 'reason leaks a secret');
	if (reason) assert.match(r.reason, reason);
	return r;
}
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('inbound authenticate: none', () => {
	it('accepts without a credential', () => assert.deepEqual(authenticate('none', undefined, req()), { ok: true }));
});

describe('inbound authenticate: API key', () => {
	it('body (static value) for POST, query for GET', () => {
		assert.equal(authenticate('apiKey', cred, req({ body: params({ apiKey: KEY }) })).ok, true);
		denied(authenticate('apiKey', cred, req({ query: params({ apiKey: KEY }) })), /body parameter "apiKey"/);
		assert.equal(authenticate('apiKey', cred, req({ method: 'GET', query: params({ apiKey: KEY }) })).ok, true);
	});
	it('query and header locations; header also as "Bearer <key>"', () => {
		const q = { ...cred, keyLocation: 'query' };
		assert.equal(authenticate('apiKey', q, req({ query: params({ apiKey: KEY }) })).ok, true);
		denied(authenticate('apiKey', q, req({ body: params({ apiKey: KEY }) })), /URL query parameter/);
		const h = { ...cred, keyLocation: 'header', keyName: 'X-Api-Key' };
		assert.equal(authenticate('apiKey', h, req({ headers: { 'x-api-key': KEY } })).ok, true);
		assert.equal(authenticate('apiKey', { ...h, keyName: 'Authorization' }, req({ headers: { authorization: `Bearer ${KEY}` } })).ok, true);
		denied(authenticate('apiKey', h, req({ headers: { 'x-api-key': KEY + 'x' } })), /does not match/);
	});
	it('rejects wrong, missing, repeated and non-text keys', () => {
		denied(authenticate('apiKey', cred, req({ body: params({ apiKey: 'wrong' }) })), /does not match/);
		denied(authenticate('apiKey', cred, req()), /missing/);
		denied(authenticate('apiKey', cred, req({ body: params({ apiKey: '' }) })), /missing/);
		denied(authenticate('apiKey', cred, req({ body: params({ apiKey: [KEY, KEY] }) })), /more than once/);
		denied(authenticate('apiKey', cred, req({ body: params({ apiKey: 123 }) })), /not text/);
		denied(authenticate('apiKey', cred, req({ body: params({ APIKEY: KEY }) })), /missing/);
	});
	it('an incomplete credential never accepts', () => {
		denied(authenticate('apiKey', { ...cred, apiKey: '' }, req({ body: params({ apiKey: '' }) })), /credential .* is incomplete/);
		denied(authenticate('apiKey', { ...cred, keyName: '' }, req({ body: params({ '': KEY }) })), /incomplete/);
		denied(authenticate('apiKey', { ...cred, keyLocation: 'cookie' }, req({ body: params({ apiKey: KEY }) })), /Location/);
		denied(authenticate('apiKey', undefined, req({ body: params({ apiKey: KEY }) })), /no credential/);
	});
});

describe('inbound authenticate: Basic', () => {
	it('accepts the right user and password', () => {
		assert.equal(authenticate('basicAuth', cred, req({ headers: { Authorization: basic('kt', PASS) } })).ok, true);
		assert.equal(authenticate('basicAuth', { ...cred, password: 'a:b' }, req({ headers: { authorization: basic('kt', 'a:b') } })).ok, true);
	});
	it('rejects with WWW-Authenticate', () => {
		for (const headers of [{}, { authorization: basic('kt', 'nope') }, { authorization: basic('other', PASS) }, { authorization: 'Bearer x' }, { authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` }]) {
			const r = denied(authenticate('basicAuth', cred, req({ headers })));
			assert.deepEqual(r.headers, { 'WWW-Authenticate': WWW_AUTHENTICATE });
		}
		assert.equal(WWW_AUTHENTICATE, 'Basic realm="KlickTipp Outbound"');
		denied(authenticate('basicAuth', { ...cred, password: '' }, req({ headers: { authorization: basic('kt', '') } })), /incomplete/);
	});
});

describe('inbound authenticate: signature', () => {
	const body = Buffer.from('{"email":"max@example.de"}');
	it('accepts a valid Standard Webhooks signature and returns the webhook-id', () => {
		const h = signPayload(SECRET, 'msg_1', body);
		assert.deepEqual(authenticate('signature', cred, req({ headers: { ...h }, rawBody: body, contentType: 'application/json' })), { ok: true, webhookId: 'msg_1' });
	});
	it('rejects changed bodies, stale timestamps, missing headers, GET and multipart', () => {
		const now = Math.floor(Date.now() / 1000);
		const h = signPayload(SECRET, 'msg_2', body, now);
		denied(authenticate('signature', cred, req({ headers: { ...h }, rawBody: Buffer.from(body.toString() + ' ') }), now), /does not match|No webhook-signature/);
		denied(authenticate('signature', cred, req({ headers: { ...h }, rawBody: body }), now + 301), /seconds off/);
		denied(authenticate('signature', cred, req({ rawBody: body })), /Missing webhook-id/);
		denied(authenticate('signature', cred, req({ method: 'GET', headers: { ...h }, rawBody: Buffer.alloc(0) })), /GET/);
		denied(authenticate('signature', cred, req({ headers: { ...h }, contentType: 'multipart/form-data' })), /multipart\/form-data.*application\/json/);
	});
	it('rejects an empty or malformed signing secret as an incomplete credential', () => {
		denied(authenticate('signature', { ...cred, signingSecret: '' }, req({ rawBody: body })), /incomplete/);
		denied(authenticate('signature', { ...cred, signingSecret: 'whsec_!!notbase64' }, req({ rawBody: body })), /not valid base64/);
	});
});

describe('inbound authenticate: Bearer token', () => {
	const TOKEN = 'tok-' + randomBytes(12).toString('hex');
	const bearer: KlickTippCredential = { bearerToken: TOKEN };
	it('accepts Authorization: Bearer <token> (scheme in any case), refuses everything else with a reason', () => {
		assert.deepEqual(authenticate('bearerToken', bearer, req({ headers: { authorization: `Bearer ${TOKEN}` } })), { ok: true });
		assert.deepEqual(authenticate('bearerToken', bearer, req({ headers: { Authorization: `bearer  ${TOKEN} ` } })), { ok: true });
		for (const [headers, reason] of [
			[{}, /no Authorization header/],
			[{ authorization: TOKEN }, /not "Bearer <token>"/],
			[{ authorization: `Basic ${TOKEN}` }, /not "Bearer <token>"/],
			[{ authorization: `Bearer ${TOKEN}x` }, /does not match/],
			[{ authorization: `Bearer ${TOKEN.slice(0, -1)}` }, /does not match/],
		] as const) {
			const r = denied(authenticate('bearerToken', bearer, req({ headers })), reason);
			assert.ok(!r.reason.includes(TOKEN));
		}
		denied(authenticate('bearerToken', bearer, req({ body: params({ authorization: `Bearer ${TOKEN}` }) })), /no Authorization header/);
		denied(authenticate('bearerToken', { apiKey: KEY }, req({ headers: { authorization: `Bearer ${KEY}` } })), /incomplete: the Bearer Token is empty/);
	});
});
