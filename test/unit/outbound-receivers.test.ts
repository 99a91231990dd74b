/**
 * Receivers as they are (issues 19 and 20), on the virtual clock through the real hub: hanging, down, always 503,
 * flapping, restarting, capped at N in flight, healthy; one execution of many items and a burst of one-item
 * executions sharing the process's hosts. The figures are the targets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { HostRegistry } from '../../nodes/core/outbound/host';
import { prng } from '../reliability/helpers';
import { behaviours, runOn, simReceiver, tally } from '../helpers/sim-receiver';
import { VirtualClock } from '../helpers/virtual-clock';

function setup(behaviour: Parameters<typeof simReceiver>[1], algorithm?: 'aimd' | 'gradient') {
	const clock = new VirtualClock();
	const hosts = new HostRegistry(clock, algorithm ? { algorithm } : {});
	const rx = simReceiver(clock, behaviour);
	return { clock, hosts, rx };
}

describe('receivers as they are: down, hanging, failing (step aside fast, park every item replayable)', () => {
	it('hanging receiver, default 30 s timeout, 1,000 items: all out, parked, within 3 minutes, a few dozen requests', async () => {
		const { clock, hosts, rx } = setup(behaviours.hanging());
		const start = clock.now();
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 1000 }));
		const wall = clock.now() - start;
		const t = tally(results);
		assert.equal(t.delivered, 0);
		assert.equal(t.parked + t.failed, 1000);
		assert.ok(t.parked >= 990, `${t.parked} parked`);
		assert.ok(wall <= 180_000, `wall ${wall} ms`);
		assert.ok(rx.stats.requests <= 40, `${rx.stats.requests} requests to a hanging receiver`);
		const parked = results.find((r) => r.parked && r.attempts === 0)!;
		assert.match(parked.reason!, /^Receiver down: circuit open since .* after \d+ failures in a row, last: Timeout: no response within 30000 ms; not attempted \(parked/);
		assert.ok(parked.parked!.retryAt > 0 && parked.firstAttemptAt! > 0);
	});

	it('hanging receiver, Timeout 3 s, 100 items: all out within 60 s', async () => {
		const { clock, hosts, rx } = setup(behaviours.hanging());
		const start = clock.now();
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 100, options: { timeout: 3000 } }));
		assert.equal(tally(results).delivered, 0);
		assert.ok(clock.now() - start <= 60_000, `wall ${clock.now() - start} ms`);
	});

	for (const [name, behaviour] of [
		['refused connections', behaviours.down()],
		['always 503', behaviours.always503()],
	] as const) {
		it(`${name}, 1,000 items: all out within 60 s; the receiver gets a probe now and then, not 5 attempts per item`, async () => {
			const { clock, hosts, rx } = setup(behaviour);
			const start = clock.now();
			const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 1000 }));
			const t = tally(results);
			assert.equal(t.delivered, 0);
			assert.ok(t.parked >= 980, `${t.parked} parked`);
			assert.ok(clock.now() - start <= 60_000, `wall ${clock.now() - start} ms`);
			assert.ok(rx.stats.requests <= 60, `${rx.stats.requests} requests`);
		});
	}

	it('the next execution (even in a new process) remembers the open circuit: its items get one probe, not 5 attempts each', async () => {
		const clock = new VirtualClock();
		const rx = simReceiver(clock, behaviours.down());
		const staticData: Record<string, unknown> = {};
		await clock.runUntil(runOn(clock, new HostRegistry(clock), rx.send, { items: 50, staticData }));
		assert.ok(staticData.openCircuits, 'the open circuit is in the node\'s static data');
		const before = rx.stats.requests;
		const results = await clock.runUntil(runOn(clock, new HostRegistry(clock), rx.send, { items: 50, staticData }));
		assert.equal(rx.stats.requests - before, 1, 'one probe');
		assert.equal(tally(results).parked, 50);
	});

	it('Outage Budget 0 is the old behaviour: every item spends its own attempts', async () => {
		const { clock, hosts, rx } = setup(behaviours.down());
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 20, options: { outageBudgetSeconds: 0 } }));
		assert.equal(tally(results).failed, 20);
		assert.equal(rx.stats.requests, 100, '5 attempts each');
	});

	it('flapping receiver (a random half of the answers 503), 200 items: every item delivered, none parked', async () => {
		const { clock, hosts, rx } = setup(behaviours.flapping(prng(11)));
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 200 }));
		assert.deepEqual(tally(results), { delivered: 200, parked: 0, failed: 0 });
	});

	it('flapping without the host rule (Outage Budget 0): items run out of attempts', async () => {
		const { clock, hosts, rx } = setup(behaviours.flapping(prng(11)));
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 200, options: { outageBudgetSeconds: 0 } }));
		assert.ok(tally(results).failed > 0, 'the control: 5 attempts at 50 % lose some of 200');
	});

	it('restarting receiver (503 for the first 20 s), 200 items: every item delivered in the same run', async () => {
		const clock = new VirtualClock();
		const hosts = new HostRegistry(clock);
		const rx = simReceiver(clock, behaviours.restarting(clock.now() + 20_000));
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 200 }));
		assert.deepEqual(tally(results), { delivered: 200, parked: 0, failed: 0 });
		assert.ok(rx.stats.byStatus['503'] <= 40, `${rx.stats.byStatus['503']} requests while it was down`);
	});

	it('one host down does not hold up another host', async () => {
		const clock = new VirtualClock();
		const hosts = new HostRegistry(clock);
		const down = simReceiver(clock, behaviours.down());
		const up = simReceiver(clock, behaviours.healthy(20));
		const send: typeof down.send = async (req) => (req.url.includes('down.example') ? await down.send(req) : await up.send(req));
		const start = clock.now();
		let upDoneAt = 0;
		const run = runOn(clock, hosts, send, { items: 200, url: (i) => (i % 2 ? `https://down.example.com/?id=${i}` : `https://up.example.com/?id=${i}`) });
		const results = await clock.runUntil(
			run.then((r) => {
				upDoneAt = clock.now();
				return r;
			}),
		);
		assert.equal(results.filter((r, i) => i % 2 === 0 && r.status === 'delivered').length, 100);
		assert.ok(upDoneAt - start >= 29_000, 'the run ends when the down host has parked its items');
		assert.equal(up.stats.requests, 100);
	});
});

describe('receivers as they are: the real-time flow, one-item executions sharing the process', () => {
	it('400 one-item executions to a down receiver: every event parked, at most a quarter of a request per event', async () => {
		const { clock, hosts, rx } = setup(behaviours.down());
		const runs: Array<Promise<unknown>> = [];
		// 50 connections: the events arrive over about 4 s.
		for (let i = 0; i < 400; i++) {
			runs.push(clock.sleep(i * 10).then(async () => await runOn(clock, hosts, rx.send, { items: 1, url: () => `https://crm.example.com/?id=${i}` })));
		}
		const results = (await clock.runUntil(Promise.all(runs))).flat() as Awaited<ReturnType<typeof runOn>>;
		assert.equal(tally(results).delivered, 0);
		assert.equal(results.length, 400);
		assert.ok(rx.stats.requests <= 100, `${rx.stats.requests} requests for 400 events`);
	});

	it('the ceiling holds across executions: Concurrency 10, 400 one-item executions, the receiver never sees more than 10', async () => {
		const { clock, hosts, rx } = setup(behaviours.healthy(50));
		const runs = Array.from({ length: 400 }, (_, i) => runOn(clock, hosts, rx.send, { items: 1, options: { concurrency: 10 }, url: () => `https://crm.example.com/?id=${i}` }));
		const results = (await clock.runUntil(Promise.all(runs))).flat();
		assert.equal(tally(results).delivered, 400);
		assert.ok(rx.stats.peakInFlight <= 10, `peak ${rx.stats.peakInFlight}`);
	});

	it('a receiver that takes 8 at once, 400 one-item executions with Concurrency 10: every event delivered, < 10 % rejected', async () => {
		const { clock, hosts, rx } = setup(behaviours.capped(8, 50));
		const runs = Array.from({ length: 400 }, (_, i) => runOn(clock, hosts, rx.send, { items: 1, options: { concurrency: 10 }, url: () => `https://crm.example.com/?id=${i}` }));
		const results = (await clock.runUntil(Promise.all(runs))).flat();
		assert.equal(tally(results).delivered, 400);
		const rejected = rx.stats.byStatus['503'] ?? 0;
		assert.ok(rejected < 0.1 * rx.stats.requests, `${rejected} of ${rx.stats.requests} rejected`);
	});

	it('a restarting receiver under one-item executions: every event delivered', async () => {
		const clock = new VirtualClock();
		const hosts = new HostRegistry(clock);
		const rx = simReceiver(clock, behaviours.restarting(clock.now() + 20_000));
		const runs = Array.from({ length: 400 }, (_, i) => clock.sleep(i * 10).then(async () => await runOn(clock, hosts, rx.send, { items: 1, url: () => `https://crm.example.com/?id=${i}` })));
		const results = (await clock.runUntil(Promise.all(runs))).flat() as Awaited<ReturnType<typeof runOn>>;
		assert.equal(tally(results).delivered, 400);
	});
});

describe('receivers as they are: concurrency that follows the receiver', () => {
	for (const n of [4, 8, 32]) {
		it(`a receiver that answers 503 beyond ${n} in flight, 2,000 items: all delivered, <= 1.3x the ideal time, < 5 % rejected`, async () => {
			const { clock, hosts, rx } = setup(behaviours.capped(n, 50));
			const start = clock.now();
			const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 2000 }));
			const wall = clock.now() - start;
			const ideal = (2000 * 50) / n;
			assert.equal(tally(results).delivered, 2000);
			const rejected = rx.stats.byStatus['503'] ?? 0;
			assert.ok(wall <= ideal * 1.3, `wall ${wall} ms vs ideal ${ideal} ms (${(wall / ideal).toFixed(2)}x)`);
			assert.ok(rejected < 0.05 * rx.stats.requests, `${rejected} of ${rx.stats.requests} rejected`);
		});
	}

	it('healthy receiver (50 ms), 3,000 items: the window grows to the ceiling, never above it', async () => {
		const { clock, hosts, rx } = setup(behaviours.healthy(50));
		const start = clock.now();
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 3000 }));
		assert.equal(tally(results).delivered, 3000);
		assert.equal(rx.stats.peakInFlight, 100, 'Concurrency 100 reached, not passed');
		const wall = clock.now() - start;
		assert.ok(wall <= (3000 * 50) / 100 + 1000, `wall ${wall} ms`);
	});

	it('queueing receiver (8 workers, 50 ms, never says no), 1,000 items: the window stops near what it serves, not at Concurrency 100', async () => {
		const { clock, hosts, rx } = setup(behaviours.queueing(8, 50));
		const start = clock.now();
		const results = await clock.runUntil(runOn(clock, hosts, rx.send, { items: 1000 }));
		const wall = clock.now() - start;
		const ideal = (1000 * 50) / 8;
		assert.equal(tally(results).delivered, 1000);
		assert.ok(rx.stats.peakInFlight <= 4 * 8, `peak ${rx.stats.peakInFlight} in flight at a receiver serving 8`);
		assert.ok(wall <= ideal * 1.3, `wall ${wall} ms vs ideal ${ideal} ms`);
	});

	it('the latency-based window reaches the ceiling faster than AIMD on a healthy receiver', async () => {
		const time = async (algorithm: 'aimd' | 'gradient') => {
			const { clock, hosts, rx } = setup(behaviours.healthy(50), algorithm);
			const start = clock.now();
			await clock.runUntil(runOn(clock, hosts, rx.send, { items: 3000 }));
			return clock.now() - start;
		};
		const [gradient, aimd] = [await time('gradient'), await time('aimd')];
		assert.ok(gradient * 1.5 < aimd, `gradient ${gradient} ms, aimd ${aimd} ms`);
	});
});
