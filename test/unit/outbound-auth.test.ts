import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import { Webhook } from 'standardwebhooks';

import type { AuthenticationMode, KlickTippCredential } from '../../nodes/core/credential';
import { authParamNames, authorize, replayRequest, signRequest } from '../../nodes/core/outbound/auth';
import type { EncodedRequest } from '../../nodes/core/outbound/encoding';
import { encodeRequest } from '../../nodes/core/outbound/encoding';

const params: Array<[string, string]> = [['email', 'max@example.de'], ['name', 'Jürgen']];

/** The credential applied to an encoded request, as buildRequest does it. */
const applyAuth = (encoded: EncodedRequest, auth: AuthenticationMode, cred: KlickTippCredential | undefined) =>
	authorize(replayRequest(encoded, {}, 'msg_t', auth), cred);

describe('outbound auth: API key placement', () => {
	const key = 'sk_live_0123456789abcdef';

	it('body: a static value (POST body, or the query for GET)', () => {
		const cred = { apiKey: key, keyName: 'access_key', keyLocation: 'body' };
		assert.deepEqual(authParamNames('apiKey', cred), ['access_key']);
		const req = applyAuth(encodeRequest('POST', 'form', 'https://x/h', params), 'apiKey', cred);
		assert.equal(req.body, encodeRequest('POST', 'form', 'https://x/h', [...params, ['access_key', key]]).body, 'as if it were the last parameter');
		assert.equal(req.url, 'https://x/h');
		assert.equal(Object.keys(req.headers).includes('access_key'), false);
		const json = applyAuth(encodeRequest('POST', 'json', 'https://x/h', params), 'apiKey', cred);
		assert.equal(json.body, encodeRequest('POST', 'json', 'https://x/h', [...params, ['access_key', key]]).body);
		const get = applyAuth(encodeRequest('GET', 'json', 'https://x/h?a=1', params), 'apiKey', cred);
		assert.equal(get.url, encodeRequest('GET', 'json', 'https://x/h?a=1', [...params, ['access_key', key]]).url, 'GET: the query');
		const del = applyAuth(encodeRequest('DELETE', 'json', 'https://x/h/7', params), 'apiKey', cred);
		assert.equal(del.url, encodeRequest('DELETE', 'json', 'https://x/h/7', [...params, ['access_key', key]]).url, 'DELETE: the query');
		assert.equal(del.body, null, 'DELETE: no body');
		const put = applyAuth(encodeRequest('PUT', 'json', 'https://x/h', params), 'apiKey', cred);
		assert.equal(put.body, encodeRequest('PUT', 'json', 'https://x/h', [...params, ['access_key', key]]).body, 'PUT: the body');
		assert.equal(applyAuth(encodeRequest('POST', 'form', 'https://x/h', []), 'apiKey', cred).body, `access_key=${key}`);
		assert.equal(applyAuth(encodeRequest('POST', 'json', 'https://x/h', []), 'apiKey', cred).body, `{"access_key":"${key}"}`);
	});

	it('the request before authentication holds no key: the credential is applied to a copy', () => {
		const cred = { apiKey: key, keyName: 'access_key', keyLocation: 'body' };
		const replay = replayRequest(encodeRequest('POST', 'json', 'https://x/h', params), { 'user-agent': 'ua' }, 'msg_1', 'apiKey');
		const before = JSON.stringify(replay);
		authorize(replay, cred);
		assert.equal(JSON.stringify(replay), before);
		assert.ok(!before.includes(key));
		assert.deepEqual(replay.headers, { 'user-agent': 'ua', 'content-type': 'application/json; charset=utf-8' });
	});

	it('query: appended to the URL, not the body', () => {
		const cred = { apiKey: key, keyName: 'token', keyLocation: 'query' };
		assert.deepEqual(authParamNames('apiKey', cred), []);
		const req = applyAuth(encodeRequest('POST', 'json', 'https://x/h?a=1', params), 'apiKey', cred);
		assert.equal(req.url, `https://x/h?a=1&token=${key}`);
		assert.equal(JSON.parse(req.body!).token, undefined);
	});

	it('header: sent as a header and marked as a credential header', () => {
		const cred = { apiKey: key, keyName: 'X-Api-Key', keyLocation: 'header' };
		const req = applyAuth(encodeRequest('GET', 'json', 'https://x/h', params), 'apiKey', cred);
		assert.equal(req.headers['x-api-key'], key);
		assert.deepEqual(req.credentialHeaders, ['x-api-key']);
		assert.ok(!req.url.includes(key));
	});

	it('Basic: Authorization header', () => {
		const cred = { username: 'kt', password: 'pässwort' };
		const req = applyAuth(encodeRequest('POST', 'json', 'https://x/h', params), 'basicAuth', cred);
		assert.equal(req.headers.authorization, `Basic ${Buffer.from('kt:pässwort').toString('base64')}`);
		assert.deepEqual(req.credentialHeaders, ['authorization']);
	});

});

describe('outbound auth: Bearer token', () => {
	it('Authorization: Bearer <token> from the credential, a credential header; the request before authentication has none', () => {
		const replay = replayRequest(encodeRequest('POST', 'json', 'https://x/h', params), {}, 'msg_t', 'bearerToken');
		const req = authorize(replay, { bearerToken: ' tok-0123456789 ' });
		assert.equal(req.headers.authorization, 'Bearer tok-0123456789');
		assert.deepEqual(req.credentialHeaders, ['authorization']);
		assert.equal(replay.headers.authorization, undefined);
		assert.equal(authorize({ ...replay, authentication: 'apiKey' }, { bearerToken: 'tok-0123456789' }).headers.authorization, undefined, 'only in its own mode');
	});
});

describe('outbound auth: Standard Webhooks signature', () => {
	const secret = `whsec_${randomBytes(32).toString('base64')}`;

	it('signs the exact body bytes; the standardwebhooks package verifies it', () => {
		const req = applyAuth(encodeRequest('POST', 'json', 'https://x/h', params), 'signature', { signingSecret: secret });
		const headers = signRequest(req, secret, 'msg_abc', Math.floor(Date.now() / 1000));
		assert.equal(headers['webhook-id'], 'msg_abc');
		assert.equal(headers['content-type'], 'application/json; charset=utf-8');
		const wh = new Webhook(secret);
		assert.deepEqual(wh.verify(req.body!, headers), { email: 'max@example.de', name: 'Jürgen' });
		// one changed byte breaks it
		assert.throws(() => wh.verify(req.body!.replace('Jürgen', 'Jurgen'), headers));
	});

	it('form bodies too (the signature is over the encoded bytes)', () => {
		const req = applyAuth(encodeRequest('POST', 'form', 'https://x/h', params), 'signature', { signingSecret: secret });
		const headers = signRequest(req, secret, 'msg_form', Math.floor(Date.now() / 1000));
		const wh = new Webhook(secret);
		assert.throws(() => wh.verify(req.body!, { ...headers, 'webhook-id': 'msg_other' }));
		// standardwebhooks parses JSON, so check the HMAC via its sign() instead
		const expected = wh.sign('msg_form', new Date(Number(headers['webhook-timestamp']) * 1000), req.body!);
		assert.equal(headers['webhook-signature'], expected);
	});
});
