import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { randomBytes } from 'crypto';

import { signPayload, verifySignature, signingKey, SigningSecretError } from '../../nodes/core/signature';

const secret = `whsec_${randomBytes(24).toString('base64')}`;
const body = '{"email":"max@example.de","CustomFieldFirstName":"Jürgen"}';

describe('signature: Standard Webhooks', () => {
	it('produces headers the standardwebhooks reference implementation accepts', () => {
		const headers = signPayload(secret, 'msg_1', body);
		const wh = new Webhook(secret);
		assert.deepEqual(wh.verify(body, headers as unknown as Record<string, string>), JSON.parse(body));
	});

	it('verifies what the reference implementation signs', () => {
		const wh = new Webhook(secret);
		const now = new Date();
		const sig = wh.sign('msg_2', now, body);
		const result = verifySignature(
			secret,
			{ 'webhook-id': 'msg_2', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': sig },
			Buffer.from(body),
		);
		assert.equal(result.ok, true);
	});

	it('accepts any of several space-separated signatures (key rotation) and ignores other versions', () => {
		const good = signPayload(secret, 'msg_3', body);
		const other = signPayload(`whsec_${randomBytes(24).toString('base64')}`, 'msg_3', body, Number(good['webhook-timestamp']));
		const headers = { ...good, 'webhook-signature': `v2,abc ${other['webhook-signature']} ${good['webhook-signature']}` };
		assert.equal(verifySignature(secret, headers, body).ok, true);
	});

	it('rejects a changed body, a wrong secret, stale and future timestamps, and missing headers', () => {
		const h = signPayload(secret, 'msg_4', body);
		assert.equal(verifySignature(secret, h, body + ' ').ok, false);
		assert.equal(verifySignature(`whsec_${randomBytes(24).toString('base64')}`, h, body).ok, false);
		const now = Number(h['webhook-timestamp']);
		const stale = verifySignature(secret, h, body, now + 301);
		assert.equal(stale.ok, false);
		assert.match((stale as { reason: string }).reason, /seconds off/);
		assert.equal(verifySignature(secret, h, body, now - 301).ok, false);
		assert.equal(verifySignature(secret, h, body, now + 299).ok, true);
		assert.equal(verifySignature(secret, { 'webhook-id': 'x' }, body).ok, false);
		assert.equal(verifySignature(secret, { ...h, 'webhook-timestamp': '12abc' }, body).ok, false);
	});

	it('reads headers case-insensitively and signs the exact bytes (UTF-8)', () => {
		const bytes = Buffer.from('email=j%C3%BCrgen%40example.de&x=1');
		const h = signPayload('plain-secret-value', 'id', bytes);
		const upper = { 'Webhook-Id': h['webhook-id'], 'WEBHOOK-TIMESTAMP': h['webhook-timestamp'], 'Webhook-Signature': h['webhook-signature'] };
		assert.equal(verifySignature('plain-secret-value', upper, bytes).ok, true);
	});

	it('rejects malformed secrets with a message that does not contain the secret', () => {
		assert.throws(() => signingKey(''), SigningSecretError);
		assert.throws(() => signingKey('whsec_not*base64!'), (e: Error) => !e.message.includes('not*base64!'));
		assert.throws(() => signingKey('whsec_AAAA'), /16 bytes/);
		const r = verifySignature('whsec_%%%', { 'webhook-id': 'a', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,xx' }, 'b');
		assert.equal(r.ok, false);
		assert.ok(!(r as { reason: string }).reason.includes('%%%'));
	});
});

describe('signature: a plain secret (not whsec_…), checked against standardwebhooks both ways', () => {
	// Our documented choice: a secret without the whsec_ prefix is used as its UTF-8 bytes, which is what the
	// reference library does with `new Webhook(secret, { format: 'raw' })` (byte for byte for ASCII secrets). The
	// library's default would base64-decode it; people paste passwords there, so we do not (docs/outbound.md).
	const plain = 'Mein-Geheimnis_2026!';
	const raw = new Webhook(plain, { format: 'raw' });

	it('the key is the UTF-8 bytes, not base64-decoded', () => {
		assert.deepEqual(signingKey(plain), Buffer.from(plain, 'utf8'));
		assert.deepEqual(signingKey(` ${plain} `), Buffer.from(plain, 'utf8'), 'trimmed like every credential field');
		const base64Looking = 'c2VjcmV0LXNlY3JldC1zZWNyZXQ=';
		assert.deepEqual(signingKey(base64Looking), Buffer.from(base64Looking, 'utf8'));
		const libraryDefault = new Webhook(base64Looking);
		const ours = signPayload(base64Looking, 'msg_b', body);
		assert.throws(() => libraryDefault.verify(body, ours as unknown as Record<string, string>), 'the library default decodes base64: a different key');
	});

	it('we sign → the library (format raw) verifies', () => {
		const headers = signPayload(plain, 'msg_p1', body);
		assert.deepEqual(raw.verify(body, headers as unknown as Record<string, string>), JSON.parse(body));
	});

	it('the library (format raw) signs → we verify', () => {
		const now = new Date();
		const headers = { 'webhook-id': 'msg_p2', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': raw.sign('msg_p2', now, body) };
		assert.equal(verifySignature(plain, headers, Buffer.from(body)).ok, true);
		assert.equal(verifySignature(`${plain}x`, headers, Buffer.from(body)).ok, false);
	});

	it('a whsec_ secret is the same key for us and the library default, both ways', () => {
		const wh = new Webhook(secret);
		assert.deepEqual(signingKey(secret), Buffer.from(secret.slice(6), 'base64'));
		assert.equal(signPayload(secret, 'msg_w', body, 1_700_000_000)['webhook-signature'], wh.sign('msg_w', new Date(1_700_000_000_000), body));
	});
});
