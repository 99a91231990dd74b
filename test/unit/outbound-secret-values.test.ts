import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import type { ReplayRequest } from '../../nodes/core/outbound/auth';
import { fillMasked, isSecretStaticValue, maskedOf, maskRequest, typedSecrets } from '../../nodes/core/outbound/secret-values';
import { isSecretHeader, isSecretName } from '../../nodes/core/secrets';

describe('secret values: which names carry a secret', () => {
	it('header names: Authorization, Proxy-Authorization, Cookie and API-key/token/secret-like names', () => {
		for (const name of ['Authorization', 'proxy-authorization', 'Cookie', 'X-Api-Key', 'x-api_key', 'apikey', 'X-Auth-Token', 'X-Auth', 'x-access-token', 'X-Client-Secret', 'x-session-id', 'X-Private-Key']) {
			assert.equal(isSecretHeader(name), true, name);
		}
		for (const name of ['User-Agent', 'Content-Type', 'Idempotency-Key', 'X-Request-Id', 'X-Tenant', 'Accept', 'X-Author', 'X-Monkey']) {
			assert.equal(isSecretHeader(name), false, name);
		}
	});
	it('static value names: token, apiKey, api_key, password, secret (camelCase and separators); a "Secret" mark always', () => {
		for (const name of ['token', 'Token', 'apiKey', 'api_key', 'APIKEY', 'access_token', 'accessKey', 'password', 'clientSecret', 'pwd', 'auth']) assert.equal(isSecretName(name), true, name);
		for (const name of ['author', 'tokens_used', 'list', 'source', 'keyword', 'email', 'SubscriberID', 'key']) assert.equal(isSecretName(name), false, name);
		assert.equal(isSecretStaticValue({ name: 'list', secret: true }), true);
		assert.equal(isSecretStaticValue({ name: 'list', secret: false }), false);
		assert.equal(isSecretStaticValue({ name: ' token ' }), true);
	});
});

describe('secret values: typedSecrets', () => {
	it('names and values: a header with a scheme also masks its credential part; empty values are not secrets', () => {
		const typed = typedSecrets(
			{ authorization: 'Bearer abc-123', 'x-api-key': '', 'x-tenant': 'k' },
			[{ name: 'token', value: ' t-1 ' }, { name: 'list', value: 'news' }, { name: 'pin', value: 4242, secret: true }, { name: 'apiKey', value: '' }],
		);
		assert.deepEqual(typed.masked, { headers: ['authorization'], parameters: ['token', 'pin'] });
		assert.deepEqual(typed.values, ['Bearer abc-123', 'abc-123', ' t-1 ', 't-1', '4242']);
	});
});

describe('secret values: Redeliver fills what a record masks', () => {
	const base: ReplayRequest = {
		method: 'POST',
		url: 'https://x/h?a=1',
		body: 'email=a%40b.de&token=***&list=news',
		headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: '***' },
		webhookId: 'msg_1',
		authentication: 'none',
	};
	const fill = { headers: { authorization: 'Bearer n3w+tok' }, parameters: { token: 'a b&c=d' } };
	const masked = { headers: ['authorization'], parameters: ['token'] };
	it('form body: only the masked pairs change, the rest byte for byte; the values are returned to mask', () => {
		const r = fillMasked(base, masked, fill);
		assert.ok(r.ok);
		assert.equal(r.request.body, 'email=a%40b.de&token=a+b%26c%3Dd&list=news');
		assert.equal(r.request.headers.authorization, 'Bearer n3w+tok');
		assert.deepEqual(r.values, ['Bearer n3w+tok', 'n3w+tok', 'a b&c=d']);
	});
	it('JSON body and GET query', () => {
		const json = fillMasked({ ...base, body: '{"email":"a@b.de","token":"***"}', headers: { 'content-type': 'application/json; charset=utf-8' } }, { headers: [], parameters: ['token'] }, fill);
		assert.ok(json.ok);
		assert.equal(json.request.body, '{"email":"a@b.de","token":"a b&c=d"}');
		const get = fillMasked({ ...base, method: 'GET', body: null, url: 'https://x/h?email=a&token=***#f' }, { headers: [], parameters: ['token'] }, fill);
		assert.ok(get.ok);
		assert.equal(get.request.url, 'https://x/h?email=a&token=a+b%26c%3Dd#f');
	});
	it('a record without masked values is sent as it is; a missing value names the parameter; a URL secret cannot be filled', () => {
		assert.deepEqual(fillMasked(base, undefined, fill), { ok: true, request: base, values: [] });
		assert.deepEqual(fillMasked(base, masked, { headers: {}, parameters: fill.parameters }), {
			ok: false,
			parameter: 'options.headers',
			reason: 'it was sent with the secret header "authorization", which the record keeps masked: add the header "authorization" with its value under Options › Headers of this node',
		});
		const noParam = fillMasked(base, masked, { headers: fill.headers, parameters: {} });
		assert.ok(!noParam.ok && noParam.parameter === 'staticValues' && /"token"/.test(noParam.reason));
		const elsewhere = fillMasked(base, { ...masked, elsewhere: true }, fill);
		assert.ok(!elsewhere.ok && elsewhere.parameter === undefined && /also stood elsewhere in the request/.test(elsewhere.reason));
		const broken = fillMasked({ ...base, body: '[1]', headers: { 'content-type': 'application/json' } }, { headers: [], parameters: ['token'] }, fill);
		assert.ok(!broken.ok && broken.parameter === undefined);
	});
	it('maskedOf reads a stored record leniently (names lower-cased, junk ignored)', () => {
		assert.deepEqual(maskedOf({ masked: { headers: ['X-Api-Key', 3], parameters: ['token'] } }), { headers: ['x-api-key'], parameters: ['token'] });
		assert.equal(maskedOf({ masked: 'x' }), undefined);
		assert.equal(maskedOf({ masked: { headers: [], parameters: [] } }), undefined);
		assert.equal(maskedOf(undefined), undefined);
	});
});

describe('secret values: what a record keeps (maskRequest)', () => {
	const request: ReplayRequest = {
		method: 'POST',
		url: 'https://x/h',
		body: '{"email":"max1234@b.de","pin":"1234","list":"news"}',
		headers: { 'content-type': 'application/json; charset=utf-8', 'x-api-key': 'k-0123456789' },
		webhookId: 'msg_1',
		authentication: 'none',
	};
	it('masks by name, in place, so Redeliver can fill the same place; the rest byte for byte', () => {
		const secrets = typedSecrets({ 'x-api-key': 'k-0123456789' }, [{ name: 'pin', value: '98765', secret: true }]);
		const shown = maskRequest({ ...request, body: '{"email":"a@b.de","pin":"98765","list":"news"}' }, secrets);
		assert.deepEqual(shown.masked, { headers: ['x-api-key'], parameters: ['pin'] });
		assert.equal(shown.request.body, '{"email":"a@b.de","pin":"***","list":"news"}');
		assert.equal(shown.request.headers['x-api-key'], '***');
		const filled = fillMasked(shown.request, shown.masked, { headers: { 'x-api-key': 'k-0123456789' }, parameters: { pin: '98765' } });
		assert.ok(filled.ok);
		assert.equal(filled.request.body, '{"email":"a@b.de","pin":"98765","list":"news"}');
	});
	it('a secret that also stands elsewhere (inside another value, in the URL) makes the record unfillable, never corrupted', () => {
		const secrets = typedSecrets({}, [{ name: 'pin', value: '1234', secret: true }]);
		assert.deepEqual(maskRequest(request, secrets).masked, { headers: [], parameters: ['pin'], elsewhere: true });
		assert.deepEqual(maskRequest({ ...request, url: 'https://x/h/1234', body: '{"pin":"1234"}' }, secrets).masked?.elsewhere, true);
		assert.deepEqual(maskRequest(request, typedSecrets({}, [])), { request });
	});
});
