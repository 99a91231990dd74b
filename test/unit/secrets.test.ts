import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { secretsEqual, secretForms, secretMatcher, redact, redactDeep, MASK } from '../../nodes/core/secrets';

describe('secrets', () => {
	it('compares equal secrets as equal and anything else as different', () => {
		assert.equal(secretsEqual('s3cr3t-token', 's3cr3t-token'), true);
		assert.equal(secretsEqual('s3cr3t-token', 's3cr3t-tokeN'), false);
		assert.equal(secretsEqual('s3cr3t', 's3cr3t-token'), false);
		assert.equal(secretsEqual('', ''), false, 'an empty expected secret never matches');
		assert.equal(secretsEqual(undefined, 'x'), false);
		assert.equal(secretsEqual(['x'], 'x'), false);
	});

	it('secretMatcher: a value is one of the secrets exactly (same answers as secretsEqual per pair)', () => {
		const secrets = ['s3cr3t-token', 'whsec_abc', '', undefined];
		const isSecret = secretMatcher(secrets);
		for (const value of ['s3cr3t-token', 'whsec_abc', 's3cr3t-tokeN', 's3cr3t', 's3cr3t-token ', '', 'whsec_abcd', 'x']) {
			assert.equal(isSecret(value), secrets.some((s) => secretsEqual(value, s)), value);
		}
		assert.equal(isSecret('whsec_abc'), true);
		assert.equal(isSecret(['s3cr3t-token']), false);
		assert.equal(isSecret(undefined), false);
		assert.equal(secretMatcher([])('anything'), false);
		assert.equal(secretMatcher(['', undefined])(''), false, 'an empty secret never matches');
	});

	it('redacts plain, URL-encoded and form-encoded occurrences', () => {
		const secret = 'a b/c+d';
		const text = `k=${encodeURIComponent(secret)}&j=${'a+b%2Fc%2Bd'}&raw=${secret}`;
		const out = redact(text, [secret]);
		assert.ok(!out.includes(secret) && !out.includes(encodeURIComponent(secret)) && !out.includes('a+b%2Fc%2Bd'));
		assert.ok(out.includes(MASK));
	});

	it('redacts deeply without changing the input', () => {
		const input = { url: 'https://x/?key=topsecret', nested: [{ v: 'topsecret' }], n: 1 };
		const out = redactDeep(input, ['topsecret', undefined, '']);
		assert.deepEqual(out, { url: `https://x/?key=${MASK}`, nested: [{ v: MASK }], n: 1 });
		assert.equal(input.nested[0].v, 'topsecret');
	});
});

describe('secretForms', () => {
	it('masks the spellings other senders use: PHP/URLSearchParams (!\'()*~), lower-case hex, %20 or +, JSON-escaped', () => {
		const secret = 'p w!(x)~"ü';
		const spellings = [
			'p%20w!(x)~%22%C3%BC',
			'p+w%21%28x%29%7E%22%C3%BC',
			'p%20w%21%28x%29~%22%c3%bc',
			new URLSearchParams({ k: secret }).toString().slice(2),
			JSON.stringify(secret).slice(1, -1),
		];
		for (const s of spellings) assert.equal(redact(`a=${s}&b=1`, [secret]), 'a=***&b=1', s);
		assert.ok(secretForms([secret]).every((f, i, all) => i === 0 || all[i - 1].length >= f.length), 'longest first');
	});

	it('never throws on a lone surrogate and ignores secrets shorter than 3 characters', () => {
		assert.doesNotThrow(() => secretForms(['ab\uD800cd']));
		assert.deepEqual(secretForms(['ab', '', undefined]), []);
	});
});
