import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { errorOutcome, hostOutcome } from '../../nodes/core/outbound/deliver';
import type { HostGrant, HostPolicy, HostTicket } from '../../nodes/core/outbound/host';
import { breakerThreshold, CIRCUITS_KEY, coolDownMs, Host, HostRegistry, recallCircuits, rememberCircuits } from '../../nodes/core/outbound/host';
import { deliveryOptions, finishRedeliveries } from '../../nodes/core/outbound/handle';
import { parseOptions } from '../../nodes/core/outbound/setup';
import { DEFAULT_POLICY } from '../helpers/hosts';
import { VirtualClock } from '../helpers/virtual-clock';

const POLICY: HostPolicy = { ...DEFAULT_POLICY, ceiling: 4 };

/** Asks without awaiting; `grant` fills when the host answers. */
function take(host: Host, policy: HostPolicy = POLICY, item: object = {}) {
	const state: { grant?: HostGrant } = {};
	void host.acquire(policy, item).then((g) => (state.grant = g));
	return state;
}
const ticket = (s: { grant?: HostGrant }): HostTicket => {
	assert.equal(kindOf(s), 'go');
	return (s.grant as Extract<HostGrant, { kind: 'go' }>).ticket;
};
const kindOf = (s: { grant?: HostGrant }): string | undefined => s.grant?.kind;
const fail = { kind: 'failure', reason: 'Network error ECONNREFUSED' } as const;

async function openCircuit(clock: VirtualClock, host: Host, policy = POLICY) {
	for (let i = 0; i < breakerThreshold(policy); i++) {
		const t = take(host, policy);
		await clock.settle();
		host.release(ticket(t), fail);
	}
	assert.equal(host.circuitOpen, true);
}

describe('outbound host: pause (429 / 503 with Retry-After)', () => {
	it('pauses every request to the host, another host keeps going; capped at Max Retry-After', async () => {
		const clock = new VirtualClock();
		const hosts = new HostRegistry(clock);
		const a = hosts.host('https://crm.example.com/a');
		const first = take(a);
		await clock.settle();
		a.release(ticket(first), { kind: 'throttled', pauseMs: 3_600_000 });
		assert.equal(a.pauseUntil, clock.now() + 60_000, 'capped at maxPauseMs');
		const other = take(hosts.host('https://CRM.example.com/b?x=1'));
		const b = take(hosts.host('https://b.example.com/'));
		await clock.settle();
		assert.equal(other.grant, undefined, 'same host (case-insensitive), paused');
		assert.equal(kindOf(b), 'go');
		await clock.advance(60_000);
		assert.equal(kindOf(other), 'go');
	});

	it('one pause per burst: answers of requests already in flight only lengthen it', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		const [x, y] = [take(host), take(host)];
		await clock.settle();
		const start = clock.now();
		host.release(ticket(x), { kind: 'throttled', pauseMs: 1000 });
		await clock.advance(100);
		host.release(ticket(y), { kind: 'throttled', pauseMs: 1000 });
		assert.equal(host.pauseUntil, start + 1000);
	});

	it('what an answer means for the host', () => {
		const now = Date.parse('2026-03-01T10:00:00Z');
		const r = (statusCode: number, headers: Record<string, string> = {}) => hostOutcome({ statusCode, headers, body: 'x' }, now);
		assert.deepEqual(r(204), { kind: 'success' });
		assert.deepEqual(r(429, { 'retry-after': '7' }), { kind: 'throttled', pauseMs: 7000 });
		assert.deepEqual(r(429), { kind: 'throttled', pauseMs: undefined });
		assert.deepEqual(r(503, { 'Retry-After': 'Sun, 01 Mar 2026 10:00:12 GMT' }), { kind: 'throttled', pauseMs: 12_000 });
		assert.deepEqual(r(503), { kind: 'unavailable', reason: 'HTTP 503' }, 'never the body: it may echo a secret');
		assert.deepEqual(r(500), { kind: 'failure', reason: 'HTTP 500' });
		assert.deepEqual(r(408), { kind: 'failure', reason: 'HTTP 408' });
		assert.deepEqual(errorOutcome(Object.assign(new Error('connect ECONNREFUSED https://u:pw@crm/?key=s3cret'), { code: 'ECONNREFUSED' }), 1000), {
			kind: 'failure',
			reason: 'Network error ECONNREFUSED',
		});
		assert.deepEqual(errorOutcome(Object.assign(new Error('timeout of 1000ms exceeded'), { code: 'ECONNABORTED' }), 1000), {
			kind: 'timeout',
			reason: 'Timeout: no response within 1000 ms',
		});
		assert.deepEqual(r(404), { kind: 'answered' });
	});
});

describe('outbound host: window and ceiling', () => {
	it('never more in flight than the request\'s ceiling, whatever the window', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		const many = Array.from({ length: 10 }, () => take(host, { ...POLICY, ceiling: 3 }));
		await clock.settle();
		assert.equal(many.filter((m) => m.grant).length, 3);
		assert.equal(host.requestsInFlight, 3);
	});

	it('Adaptive Pacing off: the window is the ceiling', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		const many = Array.from({ length: 60 }, () => take(host, { ...POLICY, ceiling: 50, adaptive: false }));
		await clock.settle();
		assert.equal(many.filter((m) => m.grant).length, 50, 'adaptive would start at 10');
	});

	it('waiting requests go first come, first served', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		const policy = { ...POLICY, ceiling: 1 };
		const order: number[] = [];
		const first = take(host, policy);
		await clock.settle();
		const waiters = [1, 2, 3].map((n) => host.acquire(policy).then((g) => (order.push(n), g)));
		host.release(ticket(first), { kind: 'success' });
		for (const w of waiters) {
			const g = await w;
			host.release((g as Extract<HostGrant, { kind: 'go' }>).ticket, { kind: 'success' });
		}
		assert.deepEqual(order, [1, 2, 3]);
	});
});

describe('outbound host: circuit breaker', () => {
	it('opens after the threshold of failures in a row; a success in between starts the count again', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		for (let i = 0; i < breakerThreshold(POLICY) - 1; i++) {
			const t = take(host);
			await clock.settle();
			host.release(ticket(t), fail);
		}
		const ok = take(host);
		await clock.settle();
		host.release(ticket(ok), { kind: 'success' });
		for (let i = 0; i < breakerThreshold(POLICY) - 1; i++) {
			const t = take(host);
			await clock.settle();
			host.release(ticket(t), { kind: 'timeout', reason: 'Timeout' });
		}
		assert.equal(host.circuitOpen, false);
		const last = take(host);
		await clock.settle();
		host.release(ticket(last), { kind: 'unavailable', reason: 'HTTP 503' });
		assert.equal(host.circuitOpen, true);
	});

	it('one item failing again and again does not open the circuit: at least 3 different items must fail', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		const item = {};
		for (let i = 0; i < 30; i++) {
			const t = take(host, POLICY, item);
			await clock.settle();
			host.release(ticket(t), fail);
		}
		assert.equal(host.circuitOpen, false);
		for (let i = 0; i < 2; i++) {
			const t = take(host);
			await clock.settle();
			host.release(ticket(t), fail);
		}
		assert.equal(host.circuitOpen, true, 'with two more items failing in the same streak it opens');
	});

	for (const outcome of [{ kind: 'throttled' }, { kind: 'answered' }] as const) {
		it(`${outcome.kind === 'throttled' ? '429' : 'other 4xx'} answers are no failures: the circuit stays closed`, async () => {
			const clock = new VirtualClock();
			const host = new Host(clock);
			for (let i = 0; i < 30; i++) {
				const t = take(host);
				await clock.settle();
				host.release(ticket(t), outcome);
			}
			assert.equal(host.circuitOpen, false);
		});
	}

	it('threshold: Convoy\'s 10, fewer (at least 3) when Concurrency is lower; cool-down 1 s doubling up to a fifth of the budget', () => {
		assert.equal(breakerThreshold({ ...POLICY, ceiling: 100 }), 10);
		assert.equal(breakerThreshold({ ...POLICY, ceiling: 4 }), 4);
		assert.equal(breakerThreshold({ ...POLICY, ceiling: 1 }), 3);
		assert.deepEqual([0, 1, 2, 3, 4].map((n) => coolDownMs(n, DEFAULT_POLICY)), [1000, 2000, 4000, 6000, 6000]);
		assert.equal(coolDownMs(10, { ...DEFAULT_POLICY, outageBudgetMs: 3_600_000 }), 30_000);
		assert.deepEqual([3, 4, 5, 6].map((n) => coolDownMs(n, DEFAULT_POLICY, true)), [8000, 16_000, 30_000, 30_000], 'past the budget: up to 30 s');
	});

	it('open: nothing goes until the cool-down, then one probe; a failed probe lengthens the cool-down', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		await openCircuit(clock, host);
		const [a, b] = [take(host), take(host)];
		await clock.advance(999);
		assert.equal(a.grant, undefined);
		await clock.advance(1);
		assert.ok(ticket(a).probe, 'the first waiting request is the probe');
		assert.equal(b.grant, undefined, 'only one probe');
		host.release(ticket(a), fail);
		await clock.advance(1999);
		assert.equal(b.grant, undefined, 'cool-down doubled');
		await clock.advance(1);
		assert.ok(ticket(b).probe);
	});

	it('a successful probe closes the circuit: everything waiting goes at once', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		await openCircuit(clock, host);
		const waiting = Array.from({ length: 4 }, () => take(host));
		await clock.advance(1000);
		host.release(ticket(waiting[0]), { kind: 'success' });
		await clock.settle();
		assert.equal(host.circuitOpen, false);
		assert.ok(waiting.every((w) => kindOf(w) === 'go'));
	});

	it('past the outage budget, waiting requests are parked, but not while a probe is on its way', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		await openCircuit(clock, host);
		const opened = clock.now();
		const probe = take(host);
		const waiting = take(host);
		await clock.advance(1000);
		assert.ok(ticket(probe).probe);
		await clock.advanceTo(opened + 30_000);
		const late = take(host);
		await clock.settle();
		assert.equal(waiting.grant, undefined, 'the probe decides: still waiting');
		assert.equal(late.grant, undefined, 'also a request that arrives past the budget while the probe is out');
		host.release(ticket(probe), fail);
		await clock.settle();
		assert.equal(kindOf(waiting), 'parked');
		const parked = waiting.grant as unknown as Extract<HostGrant, { kind: 'parked' }>;
		assert.match(parked.reason, /^Receiver down: circuit open since .* after \d+ failures in a row, last: Network error ECONNREFUSED$/);
		assert.equal(parked.retryAt, clock.now() + coolDownMs(1, POLICY, true));
		const later = take(host);
		await clock.settle();
		assert.equal(kindOf(later), 'parked', 'a new request past the budget is parked at once');
	});

	it('without an outage budget there is no breaker', async () => {
		const clock = new VirtualClock();
		const host = new Host(clock);
		const policy = { ...POLICY, outageBudgetMs: 0 };
		for (let i = 0; i < 30; i++) {
			const t = take(host, policy);
			await clock.settle();
			host.release(ticket(t), fail);
		}
		assert.equal(host.circuitOpen, false);
	});

	it('an open circuit is remembered between executions and recalled by a new process: the next request is a probe', async () => {
		const clock = new VirtualClock();
		const one = new HostRegistry(clock);
		await openCircuit(clock, one.host('https://crm.example.com/'));
		const stored = rememberCircuits(one, undefined, ['https://crm.example.com/x'], clock.now());
		assert.ok(stored && stored['crm.example.com'].openedAt > 0);
		const two = new HostRegistry(clock);
		recallCircuits(two, stored, ['https://crm.example.com/y'], clock.now());
		const host = two.host('https://crm.example.com/');
		assert.equal(host.circuitOpen, true);
		const [first, second] = [take(host), take(host)];
		await clock.settle();
		assert.ok(ticket(first).probe);
		assert.equal(second.grant, undefined, 'the others wait for the probe');
		host.release(ticket(first), { kind: 'success' });
		await clock.settle();
		assert.equal(kindOf(second), 'go');
		assert.equal(rememberCircuits(two, stored, ['https://crm.example.com/'], clock.now()), undefined, 'closed: forgotten');
		assert.equal(CIRCUITS_KEY, 'openCircuits');
	});

	it('a remembered circuit older than an hour is not recalled', async () => {
		const clock = new VirtualClock();
		const one = new HostRegistry(clock);
		await openCircuit(clock, one.host('https://crm.example.com/'));
		const stored = rememberCircuits(one, undefined, ['https://crm.example.com/'], clock.now());
		const two = new HostRegistry(clock);
		recallCircuits(two, stored, ['https://crm.example.com/'], clock.now() + 3_600_000);
		assert.equal(two.host('https://crm.example.com/').circuitOpen, false);
	});

	it('the registry forgets idle hosts and stays bounded', async () => {
		const clock = new VirtualClock();
		const hosts = new HostRegistry(clock, { maxHosts: 3, idleMs: 60_000 });
		for (const name of ['a', 'b', 'c', 'd', 'e']) {
			const h = hosts.host(`https://${name}.example.com/`);
			const t = take(h);
			await clock.settle();
			h.release(ticket(t), { kind: 'success' });
		}
		assert.ok(hosts.size <= 3);
		await clock.advance(120_000);
		hosts.host('https://f.example.com/');
		assert.equal(hosts.size, 1, 'idle hosts forgotten');
	});
});

describe('outbound host: Redeliver keeps a record whose host is down', () => {
	it('Send keeps trying past Max Attempts while the host fails; Redeliver does not (its schedule spaces the attempts)', () => {
		const base = { authentication: 'none' as const, credential: undefined, secrets: [], options: parseOptions({}) };
		const built = { request: {} as never, webhookId: 'msg_1' };
		assert.equal(deliveryOptions(base, built).hostRule, true);
		assert.equal(deliveryOptions({ ...base, rules: { schedule: [1000], maxAgeMs: 0 } } as typeof base, built).hostRule, false);
	});

	it('parked: kept failed, not counted as a redelivery, due after the cool-down', () => {
		const record = {
			outbound: { name: 'CRM', label: '' },
			status: 'failed' as const,
			reason: 'HTTP 503',
			attempts: 5,
			durationMs: 10,
			firstAttemptAt: '2026-03-01T09:00:00.000Z',
			redeliveries: 2,
			request: { method: 'POST', url: 'https://crm.example.com/', body: '{}', headers: {}, webhookId: 'msg_1', authentication: 'none' as const },
		};
		const setup = { authentication: 'none' as const, credential: undefined, secrets: [], options: {} as never, rules: { schedule: [1000, 2000, 3000], maxAgeMs: 0 } };
		const retryAt = Date.parse('2026-03-01T10:00:06Z');
		const run = finishRedeliveries(
			setup,
			[{ kind: 'send', record, request: record.request, authorized: { ...record.request, credentialHeaders: [] } } as never],
			[{ status: 'failed', reason: 'Receiver down: …; not attempted (parked: replay it with Redeliver)', attempts: 0, durationMs: 30_000, finalUrl: record.request.url, parked: { retryAt } }],
			() => Date.parse('2026-03-01T10:00:00Z'),
		);
		assert.deepEqual(run.failed, [], 'not dead, not a failure of the run');
		const out = run.records[0];
		assert.equal(out.status, 'failed');
		assert.equal(out.attempts, 5);
		assert.equal(out.redeliveries, 2);
		assert.equal(out.nextAttemptAt, new Date(retryAt).toISOString());
		assert.match(String(out.reason), /kept for the next run$/);
	});
});
