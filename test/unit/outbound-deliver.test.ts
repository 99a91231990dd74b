import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { deliver, describeNetworkError } from '../../nodes/core/outbound/deliver';
import type { DeliveryDeps, WireRequest, WireResponse } from '../../nodes/core/outbound/deliver';
import { applyAuth, signRequest } from '../../nodes/core/outbound/auth';
import { encodeRequest } from '../../nodes/core/outbound/encoding';
import { DEFAULT_RETRY_POLICY } from '../../nodes/core/outbound/retry';
import { verifySignature } from '../../nodes/core/signature';

type Step = Partial<WireResponse> | Error;

function fakeDeps(steps: Step[], blocked: string[] = []) {
	const sent: WireRequest[] = [];
	const sleeps: number[] = [];
	let clock = 1_000_000;
	const deps: DeliveryDeps = {
		send: async (req) => {
			sent.push(req);
			const step = steps.shift() ?? { statusCode: 200 };
			clock += 5;
			if (step instanceof Error) throw step;
			return { statusCode: step.statusCode ?? 200, headers: step.headers ?? {}, body: step.body ?? '' };
		},
		sleep: async (ms) => {
			sleeps.push(ms);
			clock += ms;
		},
		random: () => 0.5,
		now: () => clock,
		checkTarget: async (url) =>
			blocked.some((b) => url.includes(b)) ? { ok: false, reason: `Refused to contact ${new URL(url).hostname}` } : { ok: true, addresses: [] },
	};
	return { deps, sent, sleeps };
}

const request = applyAuth(encodeRequest('POST', 'json', 'https://crm.example.com/hook', [['email', 'a@b.de']]), 'basicAuth', {
	username: 'u',
	password: 'secret-pw',
});
const options = { policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, baseDelayMs: 100 }, timeoutMs: 1000, maxRedirects: 5 };
const netError = (code: string) => Object.assign(new Error(`socket hang up ${code}`), { code });

describe('outbound deliver', () => {
	it('delivers on 2xx with one attempt', async () => {
		const { deps, sent } = fakeDeps([{ statusCode: 204 }]);
		const r = await deliver(request, options, deps);
		assert.equal(r.status, 'delivered');
		assert.equal(r.attempts, 1);
		assert.equal(r.httpStatus, 204);
		assert.equal(sent[0].body, '{"email":"a@b.de"}');
		assert.equal(sent[0].timeoutMs, 1000);
	});

	it('500, 500, 200 → delivered after 3 attempts with jittered backoff', async () => {
		const { deps, sleeps, sent } = fakeDeps([{ statusCode: 500 }, { statusCode: 503 }, { statusCode: 200 }]);
		const r = await deliver(request, options, deps);
		assert.equal(r.status, 'delivered');
		assert.equal(r.attempts, 3);
		assert.deepEqual(sleeps, [50, 100]);
		assert.equal(sent.length, 3);
		assert.ok(sent.every((s) => s.body === sent[0].body));
	});

	it('honours Retry-After on 429', async () => {
		const { deps, sleeps } = fakeDeps([{ statusCode: 429, headers: { 'Retry-After': '2' } }, { statusCode: 200 }]);
		const r = await deliver(request, options, deps);
		assert.equal(r.attempts, 2);
		assert.deepEqual(sleeps, [2000]);
	});

	it('network errors and timeouts are retried; gives up after maxAttempts with a reason', async () => {
		const { deps } = fakeDeps([netError('ECONNRESET'), Object.assign(new Error('timeout of 1000ms exceeded'), { code: 'ECONNABORTED' }), { statusCode: 200 }]);
		assert.equal((await deliver(request, options, deps)).attempts, 3);
		const failing = fakeDeps([netError('ECONNRESET'), netError('ECONNRESET'), netError('ECONNRESET'), netError('ECONNRESET')]);
		const r = await deliver(request, options, failing.deps);
		assert.equal(r.status, 'failed');
		assert.equal(r.attempts, 4);
		assert.match(r.reason!, /ECONNRESET.*after 4 attempts/);
		assert.equal(r.httpStatus, undefined);
		assert.match(describeNetworkError(Object.assign(new Error('timeout of 50ms exceeded'), { code: 'ECONNABORTED' }), 50), /Timeout: no response within 50 ms/);
	});

	it('does not retry other 4xx and reports the response body', async () => {
		const { deps, sent } = fakeDeps([{ statusCode: 422, body: { error: 'email invalid' } }]);
		const r = await deliver(request, options, deps);
		assert.equal(r.status, 'failed');
		assert.equal(r.attempts, 1);
		assert.equal(r.httpStatus, 422);
		assert.equal(r.reason, 'HTTP 422: {"error":"email invalid"}');
		assert.equal(sent.length, 1);
	});

	it('always-failing 5xx ends failed with the last status', async () => {
		const { deps } = fakeDeps([{ statusCode: 500 }, { statusCode: 500 }, { statusCode: 500 }, { statusCode: 502, body: 'bad gateway' }]);
		const r = await deliver(request, options, deps);
		assert.deepEqual([r.status, r.attempts, r.httpStatus], ['failed', 4, 502]);
		assert.match(r.reason!, /HTTP 502: bad gateway \(after 4 attempts\)/);
	});

	it('follows redirects, checks every hop, drops credentials on another origin', async () => {
		const { deps, sent } = fakeDeps([
			{ statusCode: 307, headers: { location: '/v2/hook' } },
			{ statusCode: 308, headers: { location: 'https://other.example.com/final' } },
			{ statusCode: 200 },
		]);
		const r = await deliver(request, options, deps);
		assert.equal(r.status, 'delivered');
		assert.equal(r.finalUrl, 'https://other.example.com/final');
		assert.deepEqual(sent.map((s) => s.url), ['https://crm.example.com/hook', 'https://crm.example.com/v2/hook', 'https://other.example.com/final']);
		assert.ok(sent[1].headers.authorization, 'same origin keeps Basic');
		assert.equal(sent[2].headers.authorization, undefined, 'other origin gets no credentials');
		assert.ok(sent.every((s) => s.method === 'POST' && s.body === '{"email":"a@b.de"}'));
	});

	it('303 turns into GET without body', async () => {
		const { deps, sent } = fakeDeps([{ statusCode: 303, headers: { location: '/done' } }, { statusCode: 200 }]);
		await deliver(request, options, deps);
		assert.equal(sent[1].method, 'GET');
		assert.equal(sent[1].body, null);
		assert.equal(sent[1].headers['content-type'], undefined);
	});

	it('never follows a redirect to a refused address', async () => {
		const { deps, sent } = fakeDeps([{ statusCode: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } }], ['169.254.169.254']);
		const r = await deliver(request, options, deps);
		assert.equal(r.status, 'failed');
		assert.equal(r.attempts, 1, 'a refusal is final, not retried');
		assert.match(r.reason!, /Refused to contact 169\.254\.169\.254/);
		assert.equal(sent.length, 1);
	});

	it('stops after maxRedirects', async () => {
		const loop = Array.from({ length: 10 }, (_, i) => ({ statusCode: 302, headers: { location: `/r${i}` } }));
		const { deps, sent } = fakeDeps(loop);
		const r = await deliver(request, options, deps);
		assert.equal(r.status, 'failed');
		assert.match(r.reason!, /Too many redirects/);
		assert.equal(sent.length, 6);
		const none = fakeDeps([{ statusCode: 301, headers: { location: '/x' } }]);
		const r0 = await deliver(request, { ...options, maxRedirects: 0 }, none.deps);
		assert.match(r0.reason!, /Too many redirects/);
	});

	it('re-signs each attempt with the same webhook-id and a fresh timestamp', async () => {
		const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789').toString('base64');
		const { deps, sent } = fakeDeps([{ statusCode: 500 }, { statusCode: 200 }]);
		let ts = 1_700_000_000;
		await deliver(request, { ...options, sign: (r) => signRequest({ ...request, body: r.body, headers: r.headers }, secret, 'msg_same', ts++) }, deps);
		assert.equal(sent.length, 2);
		assert.equal(sent[0].headers['webhook-id'], 'msg_same');
		assert.equal(sent[1].headers['webhook-id'], 'msg_same');
		assert.notEqual(sent[0].headers['webhook-timestamp'], sent[1].headers['webhook-timestamp']);
		for (const s of sent) {
			const v = verifySignature(secret, s.headers, s.body!, Number(s.headers['webhook-timestamp']));
			assert.equal(v.ok, true);
		}
	});
});
