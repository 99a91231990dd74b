import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
	apiKeyLocation,
	authenticationModeOf,
	credentialProblem,
	credentialSecretValues,
	credentialTest,
} from '../../nodes/core/credential';
import { redactDeep } from '../../nodes/core/secrets';

describe('credential: authentication mode and API key location', () => {
	it('knows exactly the five modes', () => {
		for (const mode of ['none', 'apiKey', 'basicAuth', 'bearerToken', 'signature']) assert.equal(authenticationModeOf(mode), mode);
		for (const other of ['', 'APIKEY', 'header', 'bearer', undefined, null, 1]) assert.equal(authenticationModeOf(other), undefined);
	});
	it('an empty or missing location is body (the credential default); unknown ones are undefined', () => {
		assert.equal(apiKeyLocation(undefined), 'body');
		assert.equal(apiKeyLocation({}), 'body');
		assert.equal(apiKeyLocation({ keyLocation: '' }), 'body');
		assert.equal(apiKeyLocation({ keyLocation: 'query' }), 'query');
		assert.equal(apiKeyLocation({ keyLocation: 'header' }), 'header');
		assert.equal(apiKeyLocation({ keyLocation: 'cookie' }), undefined);
	});
});

describe('credential: credentialProblem (one check for both nodes)', () => {
	it('names what is missing, never a value', () => {
		assert.match(credentialProblem('apiKey', undefined)!, /API Key is empty/);
		assert.match(credentialProblem('apiKey', { keyName: 'k' })!, /API Key is empty/);
		assert.match(credentialProblem('apiKey', { apiKey: 'x', keyName: ' ' })!, /Parameter Name is empty/);
		assert.match(credentialProblem('apiKey', { apiKey: 'x', keyName: 'k', keyLocation: 'cookie' })!, /Location/);
		assert.match(credentialProblem('apiKey', { apiKey: 'x', keyName: 'bad header', keyLocation: 'header' })!, /header name/);
		assert.match(credentialProblem('apiKey', { apiKey: 'x\r\ny', keyName: 'X-Key', keyLocation: 'header' })!, /line breaks/);
		assert.equal(credentialProblem('apiKey', { apiKey: 'x\r\ny', keyName: 'k', keyLocation: 'body' }), null);
		assert.equal(credentialProblem('apiKey', { apiKey: 'x', keyName: 'k' }), null);
		assert.match(credentialProblem('basicAuth', { username: 'a' })!, /Password is empty/);
		assert.match(credentialProblem('basicAuth', { password: 'a' })!, /Username is empty/);
		assert.match(credentialProblem('basicAuth', { username: 'a:b', password: 'p' })!, /must not contain ":"/);
		assert.equal(credentialProblem('basicAuth', { username: 'a', password: 'p:q' }), null);
		const msg = credentialProblem('signature', { signingSecret: 'whsec_!!notbase64!!' })!;
		assert.match(msg, /^the signing secret .*base64/);
		assert.ok(!msg.includes('notbase64'));
		assert.match(credentialProblem('signature', {})!, /empty/);
		assert.equal(credentialProblem('signature', { signingSecret: 'plain-string-secret' }), null);
	});
});

describe('credential: secret values', () => {
	it('lists the API key, password, signing secret, Basic token and whsec_ key part', () => {
		const signingSecret = `whsec_${Buffer.from('0123456789abcdef0123').toString('base64')}`;
		const cred = { apiKey: 'key-ABCDEFGHIJ', username: 'u', password: 'pw-secret-1', signingSecret };
		const basic = Buffer.from('u:pw-secret-1').toString('base64');
		assert.deepEqual(credentialSecretValues(cred), ['key-ABCDEFGHIJ', 'pw-secret-1', signingSecret, basic, signingSecret.slice(6)]);
		assert.deepEqual(credentialSecretValues({ apiKey: ' padded ' }), [' padded ', 'padded']);
		assert.deepEqual(credentialSecretValues(undefined), []);
		const out = JSON.stringify(
			redactDeep({ url: 'https://x/?k=key-ABCDEFGHIJ', body: `{"p":"pw-secret-1","s":"${signingSecret}"}`, h: `Basic ${basic}` }, credentialSecretValues(cred)),
		);
		for (const s of ['key-ABCDEFGHIJ', 'pw-secret-1', signingSecret, basic]) assert.ok(!out.includes(s), s);
	});
});

describe('credential: the Test button', () => {
	it('checks every filled-in part locally and never echoes values', () => {
		assert.equal(credentialTest({}).ok, false);
		assert.match(credentialTest({}).message, /empty/);
		const good = credentialTest({ apiKey: 'a'.repeat(20), keyName: 'apiKey', keyLocation: 'body' });
		assert.deepEqual(good, { ok: true, message: 'Usable for: API key (body "apiKey") (checked locally; KlickTipp has no test endpoint)' });
		assert.match(credentialTest({ apiKey: 'short-key', keyName: 'k' }).message, /shorter than 16/);
		assert.match(credentialTest({ apiKey: 'a'.repeat(20) }).message, /Parameter Name is empty/);
		const badSecret = credentialTest({ signingSecret: 'whsec_%%%%' });
		assert.equal(badSecret.ok, false);
		assert.ok(!badSecret.message.includes('%%%%'));
		assert.equal(credentialTest({ username: 'u' }).ok, false);
		assert.deepEqual(credentialTest({ username: 'u', password: 'p', signingSecret: 'plain-secret' }), {
			ok: true,
			message: 'Usable for: Basic Auth, signature (checked locally; KlickTipp has no test endpoint)',
		});
	});
});

describe('credential: Bearer Token (added later; old credentials keep working)', () => {
	it('the problem names the field, the token is a secret, the Test button counts it', () => {
		assert.match(credentialProblem('bearerToken', {})!, /Bearer Token is empty/);
		assert.match(credentialProblem('bearerToken', { bearerToken: '  ' })!, /Bearer Token is empty/);
		assert.match(credentialProblem('bearerToken', { bearerToken: 'a\nb' })!, /line breaks/);
		assert.equal(credentialProblem('bearerToken', { bearerToken: 'tok-0123456789' }), null);
		assert.deepEqual(credentialSecretValues({ bearerToken: 'tok-0123456789' }), ['tok-0123456789']);
		assert.deepEqual(credentialTest({ bearerToken: 'tok-0123456789' }), { ok: true, message: 'Usable for: Bearer token (checked locally; KlickTipp has no test endpoint)' });
		// a credential saved before the field existed: every other mode unchanged, bearer refused with the field named
		const old = { apiKey: 'key-ABCDEFGHIJ', keyName: 'apiKey', keyLocation: 'body' };
		assert.equal(credentialProblem('apiKey', old), null);
		assert.match(credentialProblem('bearerToken', old)!, /Bearer Token is empty/);
	});
});
