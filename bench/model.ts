/**
 * The delivery engine on the virtual clock (`node --import tsx bench/model.ts`): the real hub (`deliverRun`) with
 * the node's defaults against the simulated receivers of test/helpers/sim-receiver.ts, no n8n and no CPU cost. It
 * prints the markdown table BENCHMARKS.md shows as "the model": what the algorithms decide, repeatable to the
 * millisecond. test/unit/outbound-receivers.test.ts asserts the issues' targets on the same runs.
 */
import { HostRegistry } from '../nodes/core/outbound/host';
import type { DeliveryResult } from '../nodes/core/outbound/deliver';
import type { LimitAlgorithm } from '../nodes/core/outbound/limit';
import { prng } from '../test/reliability/helpers';
import { behaviours, runOn, simReceiver, tally, type Behaviour } from '../test/helpers/sim-receiver';
import { VirtualClock } from '../test/helpers/virtual-clock';

interface Row {
	receiver: string;
	items: string;
	run: (clock: VirtualClock, hosts: HostRegistry, send: ReturnType<typeof simReceiver>['send']) => Promise<DeliveryResult[]>;
	behaviour: (clock: VirtualClock) => Behaviour;
	algorithm?: LimitAlgorithm;
	/** Per event: requests per event in the table. */
	events?: number;
}

const batch = (items: number, options: Record<string, unknown> = {}) => async (clock: VirtualClock, hosts: HostRegistry, send: ReturnType<typeof simReceiver>['send']) =>
	await runOn(clock, hosts, send, { items, options });

/** `events` one-item executions, one every `everyMs` (0 = all at once), sharing the process's hosts. */
const realTime = (events: number, everyMs: number, options: Record<string, unknown> = {}) => async (clock: VirtualClock, hosts: HostRegistry, send: ReturnType<typeof simReceiver>['send']) => {
	const runs = Array.from({ length: events }, (_, i) =>
		clock.sleep(i * everyMs).then(async () => await runOn(clock, hosts, send, { items: 1, options, url: () => `https://crm.example.com/?id=${i}` })),
	);
	return (await Promise.all(runs)).flat();
};

const rows: Row[] = [
	{ receiver: 'hanging, default 30 s timeout', items: '1000', behaviour: () => behaviours.hanging(), run: batch(1000) },
	{ receiver: 'hanging, Timeout 3 s', items: '100', behaviour: () => behaviours.hanging(), run: batch(100, { timeout: 3000 }) },
	{ receiver: 'refused', items: '1000', behaviour: () => behaviours.down(), run: batch(1000) },
	{ receiver: 'always 503', items: '1000', behaviour: () => behaviours.always503(), run: batch(1000) },
	{ receiver: 'flapping 50 %', items: '200', behaviour: () => behaviours.flapping(prng(11)), run: batch(200) },
	{ receiver: 'restarting (503 for 20 s)', items: '200', behaviour: (c) => behaviours.restarting(c.now() + 20_000), run: batch(200) },
	...[4, 8, 32].map((n) => ({
		receiver: `503 beyond ${n} in flight, 50 ms (ideal ${((2000 * 50) / n / 1000).toFixed(1)} s)`,
		items: '2000',
		behaviour: () => behaviours.capped(n, 50),
		run: batch(2000),
	})),
	{ receiver: 'queueing: 8 workers, 50 ms, never says no (ideal 6.3 s)', items: '1000', behaviour: () => behaviours.queueing(8, 50), run: batch(1000) },
	{ receiver: 'healthy 50 ms, GradientLimit (default)', items: '3000', behaviour: () => behaviours.healthy(50), run: batch(3000) },
	{ receiver: 'healthy 50 ms, AimdLimit', items: '3000', behaviour: () => behaviours.healthy(50), run: batch(3000), algorithm: 'aimd' },
	{ receiver: 'healthy 500 ms', items: '3000', behaviour: () => behaviours.healthy(500), run: batch(3000) },
	{ receiver: 'real time: down', items: '400 events', events: 400, behaviour: () => behaviours.down(), run: realTime(400, 10) },
	{ receiver: 'real time: hanging, Timeout 3 s', items: '400 events', events: 400, behaviour: () => behaviours.hanging(), run: realTime(400, 10, { timeout: 3000 }) },
	{ receiver: 'real time: restarting (20 s)', items: '400 events', events: 400, behaviour: (c) => behaviours.restarting(c.now() + 20_000), run: realTime(400, 10) },
	{ receiver: 'real time: takes 8 at once, Concurrency 10', items: '400 events', events: 400, behaviour: () => behaviours.capped(8, 50), run: realTime(400, 10, { concurrency: 10 }) },
];

async function main(): Promise<void> {
	const out = [
		'| receiver | items | time | delivered / parked / failed | requests | peak in flight | 503 answers |',
		'|---|---:|---:|---|---:|---:|---:|',
	];
	for (const row of rows) {
		const clock = new VirtualClock();
		const hosts = new HostRegistry(clock, row.algorithm ? { algorithm: row.algorithm } : {});
		const rx = simReceiver(clock, row.behaviour(clock));
		const start = clock.now();
		const results = await clock.runUntil(row.run(clock, hosts, rx.send));
		const t = tally(results);
		const requests = row.events ? `${rx.stats.requests} (${(rx.stats.requests / row.events).toFixed(2)} per event)` : String(rx.stats.requests);
		out.push(
			`| ${row.receiver} | ${row.items} | ${((clock.now() - start) / 1000).toFixed(1)} s | ${t.delivered} / ${t.parked} / ${t.failed} | ${requests} | ${rx.stats.peakInFlight} | ${rx.stats.byStatus['503'] ?? 0} |`,
		);
	}
	process.stdout.write(`${out.join('\n')}\n`);
}

void main();
