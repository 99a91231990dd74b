import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import { Webhook } from 'standardwebhooks';

import { applyAuth, authParams, credentialProblem, credentialSecrets, signRequest } from '../../nodes/core/outbound/auth';
import { encodeRequest } from '../../nodes/core/outbound/encoding';
import { credentialCheck } from '../../nodes/core/outbound/credential-check';
import { redactDeep } from '../../nodes/core/secrets';

const params: Array<[string, string]> = [['email', 'max@example.de'], ['name', 'Jürgen']];

describe('outbound auth: API key placement', () => {
	const key = 'sk_live_0123456789abcdef';

	it('body: a static value (POST body, or the query for GET)', () => {
		const cred = { apiKey: key, keyName: 'access_key', keyLocation: 'body' };
		assert.deepEqual(authParams('apiKey', cred), [['access_key', key]]);
		const req = applyAuth(encodeRequest('POST', 'form', 'https://x/h', [...params, ...authParams('apiKey', cred)]), 'apiKey', cred);
		assert.equal(new URLSearchParams(req.body!).get('access_key'), key);
		assert.equal(req.url, 'https://x/h');
		assert.equal(Object.keys(req.headers).includes('access_key'), false);
	});

	it('query: appended to the URL, not the body', () => {
		const cred = { apiKey: key, keyName: 'token', keyLocation: 'query' };
		assert.deepEqual(authParams('apiKey', cred), []);
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

	it('reports credential problems without their values', () => {
		assert.equal(credentialProblem('none', undefined), null);
		assert.match(credentialProblem('apiKey', { keyName: 'k' })!, /no API key/);
		assert.match(credentialProblem('apiKey', { apiKey: 'x', keyName: ' ' })!, /parameter name/);
		assert.match(credentialProblem('apiKey', { apiKey: 'x', keyName: 'bad header', keyLocation: 'header' })!, /header name/);
		assert.match(credentialProblem('basicAuth', { username: 'a' })!, /password/);
		const bad = 'whsec_!!notbase64!!';
		const msg = credentialProblem('signature', { signingSecret: bad })!;
		assert.match(msg, /base64/);
		assert.ok(!msg.includes('notbase64'));
		assert.equal(credentialProblem('signature', { signingSecret: 'plain-string-secret' }), null);
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

describe('outbound secrets', () => {
	it('lists every secret form and masks them deeply', () => {
		const cred = { apiKey: 'key-ABCDEFGHIJ', username: 'u', password: 'pw-secret-1', signingSecret: `whsec_${Buffer.from('0123456789abcdef0123').toString('base64')}` };
		const secrets = credentialSecrets(cred);
		const basic = Buffer.from('u:pw-secret-1').toString('base64');
		const out = redactDeep(
			{ url: 'https://x/?k=key-ABCDEFGHIJ', body: `{"p":"pw-secret-1","s":"${cred.signingSecret}"}`, h: { authorization: `Basic ${basic}` } },
			secrets,
		);
		const text = JSON.stringify(out);
		for (const s of ['key-ABCDEFGHIJ', 'pw-secret-1', cred.signingSecret, basic]) assert.ok(!text.includes(s), s);
	});

	it('credential test checks locally and never echoes values', () => {
		assert.equal(credentialCheck({}).ok, false);
		const good = credentialCheck({ apiKey: 'a'.repeat(20), keyName: 'apiKey', keyLocation: 'body' });
		assert.equal(good.ok, true);
		assert.match(good.message, /API key/);
		assert.equal(credentialCheck({ apiKey: 'short', keyName: 'k' }).ok, false);
		const badSecret = credentialCheck({ signingSecret: 'whsec_%%%%' });
		assert.equal(badSecret.ok, false);
		assert.ok(!badSecret.message.includes('%%%%'));
		assert.equal(credentialCheck({ username: 'u' }).ok, false);
		assert.equal(credentialCheck({ username: 'u', password: 'p', signingSecret: 'plain-secret' }).ok, true);
	});
});
