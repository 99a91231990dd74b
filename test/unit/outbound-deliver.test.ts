import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { deliver, describeNetworkError } from '../../nodes/core/outbound/deliver';
import type { DeliveryDeps, WireRequest, WireResponse } from '../../nodes/core/outbound/deliver';
import { authorize, replayRequest, signRequest } from '../../nodes/core/outbound/auth';
import { encodeRequest } from '../../nodes/core/outbound/encoding';
import { DEFAULT_RETRY_POLICY } from '../../nodes/core/outbound/retry';
import { checkTarget, type EgressCheck } from '../../nodes/core/outbound/ssrf';
import { verifySignature } from '../../nodes/core/signature';
import { hostsOn, NO_BREAKER } from '../helpers/hosts';

type Step = Partial<WireResponse> | Error;

function fakeDeps(steps: Step[], blocked: string[] = []) {
	const sent: WireRequest[] = [];
	const sleeps: number[] = [];
	let clock = 1_000_000;
	const sleep = async (ms: number) => {
		sleeps.push(ms);
		clock += ms;
	};
	const deps: DeliveryDeps = {
		send: async (req) => {
			sent.push(req);
			const step = steps.shift() ?? { statusCode: 200 };
			clock += 5;
			if (step instanceof Error) throw step;
			return { statusCode: step.statusCode ?? 200, headers: step.headers ?? {}, body: step.body ?? '' };
		},
		sleep,
		random: () => 0.5,
		now: () => clock,
		checkTarget: async (url) =>
			blocked.some((b) => url.includes(b)) ? { ok: false, reason: `Refused to contact ${new URL(url).hostname}` } : { ok: true },
		hosts: hostsOn({ now: () => clock, sleep }),
	};
	return { deps, sent, sleeps };
}

const request = authorize(replayRequest(encodeRequest('POST', 'json', 'https://crm.example.com/hook', [['email', 'a@b.de']]), {}, 'msg_t', 'basicAuth'), {
	username: 'u',
	password: 'secret-pw',
});
const options = { policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 4, baseDelayMs: 100 }, host: NO_BREAKER, hostRule: true, timeoutMs: 1000, maxRedirects: 5 };
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

	describe('SSRF guard at delivery: a failed lookup is a network error (retried), a blocked address a refusal (final)', () => {
		const strict = { allowPrivateTargets: false, requireHttps: false };
		const lookupError = (code: string) => Object.assign(new Error(`getaddrinfo ${code} crm.example.com`), { code, hostname: 'crm.example.com' });
		const blocked = Object.assign(new Error('The request was blocked because it resolves to a restricted IP address'), {
			name: 'SsrfBlockedIpError',
			description: "The target 'crm.example.com' (10.0.0.5) is not allowed.",
		});
		/** deps whose guard is the real checkTarget over an egress check that answers from a script. */
		function guarded(script: Array<Error | 'ok' | 'blocked'>, sendSteps: Step[] = []) {
			const f = fakeDeps(sendSteps);
			let checks = 0;
			const egress: EgressCheck = async () => {
				checks++;
				const next = script.shift() ?? 'ok';
				if (next instanceof Error) throw next;
				return next === 'ok' ? { ok: true } : { ok: false, error: blocked };
			};
			f.deps.checkTarget = async (url) => await checkTarget(url, strict, egress);
			return { ...f, checks: () => checks };
		}

		it('ENOTFOUND, EAI_AGAIN, then the lookup works: delivered on attempt 3', async () => {
			const g = guarded([lookupError('ENOTFOUND'), lookupError('EAI_AGAIN'), 'ok']);
			const r = await deliver(request, options, g.deps);
			assert.equal(r.status, 'delivered', r.reason);
			assert.equal(r.attempts, 3);
			assert.equal(g.sent.length, 1, 'nothing was sent while the host did not resolve');
			assert.deepEqual(g.sleeps, [50, 100]);
		});

		it('a lookup that keeps failing uses every attempt of maxAttempts and says so', async () => {
			const g = guarded([1, 2, 3, 4].map(() => lookupError('ENOTFOUND')));
			const r = await deliver(request, options, g.deps);
			assert.equal(r.status, 'failed');
			assert.equal(r.attempts, 4);
			assert.equal(g.checks(), 4);
			assert.equal(g.sent.length, 0);
			assert.match(r.reason!, /^Network error: getaddrinfo ENOTFOUND crm\.example\.com \(after 4 attempts\)$/);
			assert.doesNotMatch(r.reason!, /Refused/);
		});

		it('the same failure from the request (the HTTP client resolving) is retried too', async () => {
			const g = guarded([], [lookupError('EAI_AGAIN'), lookupError('ENOTFOUND'), { statusCode: 200 }]);
			const r = await deliver(request, options, g.deps);
			assert.equal(r.status, 'delivered');
			assert.equal(r.attempts, 3);
		});

		it("n8n refusing the host (blocked class) is final: one attempt, nothing sent, the reason names host and address", async () => {
			const g = guarded(['blocked']);
			const r = await deliver(request, options, g.deps);
			assert.equal(r.status, 'failed');
			assert.equal(r.attempts, 1);
			assert.equal(g.sent.length, 0);
			assert.deepEqual(g.sleeps, []);
			assert.match(r.reason!, /^Refused by n8n's SSRF protection .*'crm\.example\.com' \(10\.0\.0\.5\)/);
		});

		it("n8n refusing at connect time (thrown by the request, wrapped by the HTTP client) is final, not retried", async () => {
			const wrapped = Object.assign(new Error(blocked.message), { name: 'AxiosError', cause: blocked });
			const g = guarded([], [wrapped, { statusCode: 200 }]);
			const r = await deliver(request, options, g.deps);
			assert.equal(r.status, 'failed');
			assert.equal(r.attempts, 1);
			assert.equal(g.sent.length, 1);
			assert.match(r.reason!, /^Refused by n8n's SSRF protection/);
		});
	});
});

