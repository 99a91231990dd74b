/**
 * "Receivers as they are": our KlickTipp Outbound node and n8n's HTTP Request node side by side in one real n8n,
 * against loopback receivers that behave like real CRMs do on a bad day — healthy but slow, hanging (accepts the
 * connection, never answers), down (connection refused; or reset), always 503, flapping (a random half 503),
 * restarting (503 for the first seconds, then healthy), rate-limited (the token bucket of
 * test/helpers/receiver.ts, 429 + Retry-After) and concurrency-capped (503 without Retry-After while more than N
 * requests are in flight). Every receiver records per request its arrival, the requests it held at that moment,
 * the status it answered, the contact id (`id`) and the `webhook-id` header (test/helpers/receiver.ts).
 *
 * Part 1, one execution with N items: Webhook → Code node (makes the items) → sender → a Code node per output
 * counting what came out. Our node runs with On Error "Continue (using error output)" (failed items come out of its
 * error output, each a delivery record Redeliver can send again); the HTTP Request node with its defaults and On
 * Error "Continue" (failed items come out of its one output with an `error`), so both run to the end. A run that
 * outlasts its cap is stopped (n8n's REST `POST /rest/executions/stopMany`, as the editor's Stop) and the receiver
 * closed.
 *
 * Part 2, the real-time flow KlickTipp produces: one execution per event, our trigger → our node, the events posted
 * over a pool of connections; every execution is read back and each event counted delivered, failed and
 * replayable (a failed delivery record with its request on the error output), or lost (anything else).
 *
 * Our node gets only the options a scenario needs (e.g. `timeout: 3000`, `concurrency: 10`); everything else stays
 * at the node's defaults, whatever they are in the build under test.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import { DEFAULTS } from '../nodes/core/outbound/setup';
import { freePort, nodeItems, sleep, type Execution, type SingleInstance, type WorkflowNode } from '../test/e2e/harness';
import { connect, contactParams, postForm, triggerNode } from '../test/e2e/klicktipp';
import { keyOf, startReceiver, tokenBucket, type Fault, type Received, type Script } from '../test/helpers/receiver';
import { api, cpuTicks, rssMb, waitIdle } from './proc';
import { COUNTERS, SENDER, deliveryWorkflow, httpRequestNode, klickTippSender } from './workflow';
import { collectProfile } from './trigger';

/** BENCH_CPU_PROF=<dir>: n8n's CPU profile of each measured batch run is written there (see bench/cpu-profile.cjs). */
const cpuProfDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;

/** How a receiver behaves. */
export type Behaviour =
	| { kind: 'healthy'; latencyMs: number }
	| { kind: 'hanging' }
	| { kind: 'refused' }
	| { kind: 'reset' }
	| { kind: 'always'; status: number }
	| { kind: 'flapping'; share: number; latencyMs: number }
	| { kind: 'restarting'; downMs: number; latencyMs: number }
	| { kind: 'rateLimited'; rate: number }
	| { kind: 'capped'; limit: number; latencyMs: number };

export function describeBehaviour(b: Behaviour): string {
	switch (b.kind) {
		case 'healthy':
			return `healthy, 200 after ${b.latencyMs} ms`;
		case 'hanging':
			return 'hanging (accepts, never answers)';
		case 'refused':
			return 'down (connection refused)';
		case 'reset':
			return 'down (connection reset)';
		case 'always':
			return `always ${b.status}`;
		case 'flapping':
			return `flapping (${Math.round(b.share * 100)} % 503, else 200 after ${b.latencyMs} ms)`;
		case 'restarting':
			return `restarting (503 for ${b.downMs / 1000} s, then 200 after ${b.latencyMs} ms)`;
		case 'rateLimited':
			return `rate-limited ${b.rate} req/s (429 + Retry-After)`;
		case 'capped':
			return `concurrency-capped N = ${b.limit} (503 beyond, else 200 after ${b.latencyMs} ms)`;
	}
}

export interface BenchReceiver {
	url: string;
	/** Every request that arrived (none for a closed port). */
	requests: Received[];
	/** The run starts now (the restarting receiver's clock). */
	begin(): void;
	/** Closes the receiver and every connection it holds (again: no-op). */
	close(): Promise<void>;
}

const DAY_MS = 24 * 3600_000;
const unavailable = (why: string): Fault => ({ status: 503, body: `{"error":"${why}"}`, headers: { 'content-type': 'application/json' } });

/** Starts a loopback receiver with the behaviour (a closed port for `refused`). */
export async function startBehaviour(b: Behaviour): Promise<BenchReceiver> {
	if (b.kind === 'refused') {
		const port = await freePort();
		return { url: `http://127.0.0.1:${port}`, requests: [], begin: () => undefined, close: async () => undefined };
	}
	let t0 = Date.now();
	let script: Script;
	switch (b.kind) {
		case 'healthy':
			script = () => ({ delayMs: b.latencyMs });
			break;
		case 'hanging':
			script = () => ({ delayMs: DAY_MS });
			break;
		case 'reset':
			script = () => ({ reset: true });
			break;
		case 'always':
			script = () => ({ status: b.status, body: `{"error":"always ${b.status}"}` });
			break;
		case 'flapping':
			script = () => (Math.random() < b.share ? { delayMs: b.latencyMs, then: unavailable('flapping') } : { delayMs: b.latencyMs });
			break;
		case 'restarting':
			script = () => (Date.now() - t0 < b.downMs ? unavailable('restarting') : { delayMs: b.latencyMs });
			break;
		case 'rateLimited':
			script = tokenBucket({ rate: b.rate, latencyMs: 20 }).script;
			break;
		case 'capped':
			script = (req) => ((req.inFlight ?? 0) > b.limit ? unavailable('too many requests in flight') : { delayMs: b.latencyMs });
			break;
	}
	const rx = await startReceiver(script);
	let closing: Promise<void> | undefined;
	return {
		url: rx.url,
		requests: rx.requests,
		begin: () => {
			t0 = Date.now();
		},
		close: async () => await (closing ??= rx.close()),
	};
}

/** One request as the receiver saw it. */
export function requestRecord(r: Received) {
	const webhookId = r.headers['webhook-id'];
	return { at: r.at, inFlight: r.inFlight ?? 0, status: r.status, contactId: keyOf(r), webhookId: typeof webhookId === 'string' ? webhookId : undefined };
}

export interface ReceiverTally {
	requests: number;
	peakInFlight: number;
	/** Answered 429 or 5xx. */
	rejected: number;
	/** Contacts the receiver accepted (2xx) at least once. */
	accepted: number;
	/** Contacts accepted more than once. */
	duplicates: number;
}

export function tally(requests: Received[]): ReceiverTally {
	const acceptedBy = new Map<string, number>();
	let peakInFlight = 0;
	let rejected = 0;
	for (const r of requests) {
		peakInFlight = Math.max(peakInFlight, r.inFlight ?? 0);
		if (r.status !== undefined && r.status >= 200 && r.status < 300) {
			const key = keyOf(r);
			acceptedBy.set(key, (acceptedBy.get(key) ?? 0) + 1);
		} else if (r.status === 429 || (r.status !== undefined && r.status >= 500)) rejected++;
	}
	return {
		requests: requests.length,
		peakInFlight,
		rejected,
		accepted: acceptedBy.size,
		duplicates: [...acceptedBy.values()].filter((n) => n > 1).length,
	};
}

/** BENCH_RECEIVER_LOG=<dir>: every receiver's requests as JSON lines, one file per run. */
function dumpRequests(name: string, requests: Received[]): void {
	const dir = process.env.BENCH_RECEIVER_LOG;
	if (!dir) return;
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, `${name.replace(/[^\w.-]+/g, '_')}.jsonl`), requests.map((r) => JSON.stringify(requestRecord(r))).join('\n'));
}

// ---------------------------------------------------------------------------------------------------------------
// Scenarios

export interface Target {
	figure: string;
	target: string;
	value: string;
	met: boolean;
}

/** `oracle`: our node with the scenario's `oracle` options (e.g. a window fixed at exactly the receiver's N). */
export type SenderKind = 'ours' | 'http' | 'oracle';

export interface BatchScenario {
	key: string;
	title: string;
	behaviour: Behaviour;
	items: number;
	/** Our node's options for this scenario (beyond Allow Private Targets); {} = the node's defaults. */
	ours: Record<string, unknown>;
	/** The HTTP Request node's Timeout option (ms); unset = its default (5 minutes). */
	httpTimeoutMs?: number;
	/** Longest a run may take before it is stopped (ms). */
	capMs: number;
	/** The ideal time (ms), where the scenario has one. */
	idealMs?: number;
	/** Our node's options for a third run, the best a pacer can do here (e.g. knowing N); unset = no such run. */
	oracle?: Record<string, unknown>;
	targets: (ours: BatchRun, http: BatchRun | undefined, oracle: BatchRun | undefined) => Target[];
}

export interface FlowScenario {
	key: string;
	title: string;
	behaviour: Behaviour;
	events: number;
	ours: Record<string, unknown>;
	capMs: number;
	/** The targets, given the run and the scenario as run (with the options our node got). */
	targets: (run: FlowRun, s: FlowScenario) => Target[];
}

const pct = (a: number, b: number) => (b > 0 ? (a / b) * 100 : NaN);
const f = (n: number, d = 0) =>
	Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a';

/** Our node's Concurrency in a scenario: the option if set, else the node's default. */
const concurrencyOf = (ours: Record<string, unknown>) => Number(ours.concurrency ?? DEFAULTS.concurrency);

function allOut(r: BatchRun, withinS: number): Target[] {
	return [
		{
			figure: 'all items out of the node (delivered + failed)',
			target: `= ${f(r.items)}`,
			value: r.stopped ? `stopped at the cap (${f(r.outOk + r.outFailed)})` : f(r.outOk + r.outFailed),
			met: !r.stopped && r.outOk + r.outFailed === r.items,
		},
		{
			figure: 'failed items replayable (a delivery record with its request)',
			target: `= failed (${f(r.outFailed)})`,
			value: f(r.replayable),
			met: !r.stopped && r.replayable === r.outFailed,
		},
		{ figure: 'wall time', target: `≤ ${withinS} s`, value: `${f(r.wallMs / 1000, 1)} s`, met: !r.stopped && r.wallMs <= withinS * 1000 },
	];
}

function allDelivered(r: BatchRun): Target {
	return { figure: 'delivered', target: '100 %', value: `${f(pct(r.accepted, r.items), 1)} %`, met: r.accepted === r.items && !r.stopped };
}

function withinIdeal(r: BatchRun, idealMs: number, factor: number): Target {
	return {
		figure: `node time × ideal (${f(idealMs / 1000, 1)} s)`,
		target: `≤ ${f(factor, 2)}×`,
		value: `${f(r.nodeMs / idealMs, 2)}×`,
		met: !r.stopped && r.nodeMs / idealMs <= factor,
	};
}

function speedVsHttp(r: BatchRun, http: BatchRun | undefined, factor: number, memory: boolean): Target[] {
	const ratio = http ? http.nodeMs / r.nodeMs : NaN;
	const out: Target[] = [
		{ figure: 'speed vs HTTP Request (its node time / ours)', target: `≥ ${f(factor, 2)}×`, value: `${f(ratio, 2)}×`, met: ratio >= factor },
	];
	if (memory) {
		const ours = r.rssPeakMb - r.rssBeforeMb;
		const theirs = http ? http.rssPeakMb - http.rssBeforeMb : NaN;
		out.push({ figure: 'n8n RSS growth vs HTTP Request', target: '≤ theirs', value: `+${f(ours)} vs +${f(theirs)} MB`, met: ours <= theirs });
	}
	return out;
}

/** Per 1,000 items: n8n CPU (s), n8n RSS growth (MB), stored output (MB). */
function perThousand(r: BatchRun): { cpu: number; rss: number; out: number } {
	const k = r.items / 1000;
	return { cpu: r.cpuMs / 1000 / k, rss: (r.rssPeakMb - r.rssBeforeMb) / k, out: (r.outputBytesPerItem * 1000) / 1e6 };
}

function costVsHttp(r: BatchRun, http: BatchRun | undefined): Target[] {
	const ours = perThousand(r);
	const theirs = http ? perThousand(http) : { cpu: NaN, rss: NaN, out: NaN };
	return [
		{ figure: 'n8n CPU per 1,000 items vs HTTP Request', target: '≤ theirs', value: `${f(ours.cpu, 2)} vs ${f(theirs.cpu, 2)} s`, met: r.accepted === r.items && ours.cpu <= theirs.cpu },
		{ figure: 'n8n RSS growth per 1,000 items vs HTTP Request', target: '≤ theirs', value: `+${f(ours.rss, 1)} vs +${f(theirs.rss, 1)} MB`, met: ours.rss <= theirs.rss },
	];
}

/**
 * How the cost per 1,000 items changes from the smallest to the largest cost run (issue 20, item 5: building
 * requests, records and output items must not grow faster than the items). Met when ours per 1,000 items at the
 * largest size is at most 1.5x what it is at the smallest (CPU and stored output; RSS is reported, GC decides it).
 */
function costGrowth(runs: BatchRun[]): { md: string; targets: Target[] } | undefined {
	const cost = runs.filter((x) => x.scenario.startsWith('cost-') && !x.failure).sort((a, b) => a.items - b.items);
	if (cost.length < 2) return undefined;
	const rows = ['| items | sender | n8n CPU s per 1,000 | n8n RSS growth MB per 1,000 | stored output MB per 1,000 (bytes per item) | node s per 1,000 |', '|---:|---|---:|---:|---:|---:|'];
	for (const x of cost) {
		const p = perThousand(x);
		rows.push(`| ${f(x.items)} | ${x.label} | ${f(p.cpu, 2)} | ${f(p.rss, 1)} | ${f(p.out, 2)} (${f(x.outputBytesPerItem)}) | ${f(x.nodeMs / x.items, 2)} |`);
	}
	const targets: Target[] = [];
	for (const sender of ['ours', 'http'] as SenderKind[]) {
		const mine = cost.filter((x) => x.sender === sender);
		if (mine.length < 2) continue;
		const [small, large] = [perThousand(mine[0]), perThousand(mine[mine.length - 1])];
		const cpu = large.cpu / small.cpu;
		const out = large.out / small.out;
		const who = sender === 'ours' ? 'ours' : 'HTTP Request (for comparison)';
		const range = `${f(mine[0].items)} → ${f(mine[mine.length - 1].items)} items`;
		targets.push({ figure: `${who}: CPU per 1,000 items, ${range}`, target: sender === 'ours' ? '≤ 1.5×' : '—', value: `${f(cpu, 2)}×`, met: sender !== 'ours' || cpu <= 1.5 });
		targets.push({ figure: `${who}: stored output per item, ${range}`, target: sender === 'ours' ? '≤ 1.5×' : '—', value: `${f(out, 2)}×`, met: sender !== 'ours' || out <= 1.5 });
	}
	return { md: rows.join('\n'), targets };
}

/** The one-execution scenarios; `quick` makes the counts and caps small. */
export function batchScenarios(quick: boolean, restartMs: number): BatchScenario[] {
	const q = (full: number, small: number) => (quick ? small : full);
	const scenarios: BatchScenario[] = [];
	const hangingItems = q(1000, 20);
	scenarios.push({
		key: 'hanging-default',
		title: `hanging, ${f(hangingItems)} items, default Timeout (ours ${DEFAULTS.timeoutMs / 1000} s, HTTP Request 300 s)`,
		behaviour: { kind: 'hanging' },
		items: hangingItems,
		ours: {},
		capMs: q(360_000, 90_000),
		targets: (r) => allOut(r, 180),
	});
	const hanging3 = q(100, 20);
	scenarios.push({
		key: 'hanging-3s',
		title: `hanging, ${f(hanging3)} items, Timeout 3 s`,
		behaviour: { kind: 'hanging' },
		items: hanging3,
		ours: { timeout: 3000 },
		httpTimeoutMs: 3000,
		capMs: q(180_000, 60_000),
		targets: (r) => allOut(r, 60),
	});
	for (const [key, behaviour] of [
		['refused', { kind: 'refused' }],
		['reset', { kind: 'reset' }],
		['503', { kind: 'always', status: 503 }],
	] as Array<[string, Behaviour]>) {
		const items = q(1000, 100);
		scenarios.push({
			key,
			title: `${describeBehaviour(behaviour)}, ${f(items)} items`,
			behaviour,
			items,
			ours: {},
			capMs: q(240_000, 60_000),
			targets: (r) => allOut(r, 60),
		});
	}
	const flapping = q(200, 50);
	scenarios.push({
		key: 'flapping',
		title: `flapping (50 % 503), ${f(flapping)} items`,
		behaviour: { kind: 'flapping', share: 0.5, latencyMs: 50 },
		items: flapping,
		ours: {},
		capMs: q(240_000, 60_000),
		targets: (r) => [allDelivered(r)],
	});
	const restarting = q(200, 50);
	scenarios.push({
		key: 'restarting',
		title: `restarting (503 for the first ${restartMs / 1000} s), ${f(restarting)} items`,
		behaviour: { kind: 'restarting', downMs: restartMs, latencyMs: 50 },
		items: restarting,
		ours: {},
		capMs: q(240_000, 60_000),
		targets: (r) => [allDelivered(r)],
	});
	for (const [rate, full, small] of [
		[10, 300, 50],
		[200, 5000, 500],
	]) {
		const items = q(full, small);
		const idealMs = (items / rate) * 1000;
		scenarios.push({
			key: `ratelimited-${rate}`,
			title: `rate-limited ${rate} req/s, ${f(items)} items`,
			behaviour: { kind: 'rateLimited', rate },
			items,
			ours: {},
			idealMs,
			capMs: idealMs * 4 + 60_000,
			targets: (r) => [allDelivered(r), withinIdeal(r, idealMs, 1.15)],
		});
	}
	for (const [latencyMs, factor] of [
		[50, 1.0],
		[5, 0.9],
		[500, 0.9],
	]) {
		const items = q(3000, 300);
		scenarios.push({
			key: `healthy-${latencyMs}ms`,
			title: `healthy, 200 after ${latencyMs} ms, ${f(items)} items`,
			behaviour: { kind: 'healthy', latencyMs },
			items,
			ours: {},
			capMs: q(600_000, 120_000),
			targets: (r, http) => speedVsHttp(r, http, factor, latencyMs === 50),
		});
	}
	// Cost per item at several sizes (item 5 of issue 20): a healthy 5 ms receiver, so the cost is n8n's own work
	for (const items of quick ? [100, 300, 1000] : [1000, 3000, 10000]) {
		scenarios.push({
			key: `cost-${items}`,
			title: `cost per item: healthy, 200 after 5 ms, ${f(items)} items`,
			behaviour: { kind: 'healthy', latencyMs: 5 },
			items,
			ours: {},
			capMs: q(600_000, 120_000),
			targets: (r, http) => costVsHttp(r, http),
		});
	}
	for (const limit of [4, 8, 32]) {
		// 50 round trips at the ideal pace (12 in the quick run), whatever N: the window's ramp from 10 is a few of them
		const items = q(limit * 50, limit * 12);
		const idealMs = (items * 50) / limit;
		scenarios.push({
			key: `capped-${limit}`,
			title: `concurrency-capped N = ${limit} (503 beyond, 50 ms), ${f(items)} items`,
			behaviour: { kind: 'capped', limit, latencyMs: 50 },
			items,
			ours: {},
			idealMs,
			// What no pacer can beat here: a window fixed at exactly N (it never gets a 503), with n8n's own round trip
			oracle: { adaptivePacing: false, concurrency: limit },
			capMs: q(240_000, 60_000),
			targets: (r, _http, oracle) => [
				allDelivered(r),
				withinIdeal(r, idealMs, 1.3),
				{
					figure: 'node time × the oracle (a window fixed at N: knows the receiver)',
					target: '≤ 1.30×',
					value: oracle ? `${f(r.nodeMs / oracle.nodeMs, 2)}×` : 'not run',
					met: !!oracle && r.nodeMs / oracle.nodeMs <= 1.3,
				},
				{ figure: 'rejected (503) of requests', target: '< 5 %', value: `${f(pct(r.rejected, r.requests), 1)} %`, met: pct(r.rejected, r.requests) < 5 },
			],
		});
	}
	return scenarios;
}

/** The real-time scenarios (one execution per event). */
export function flowScenarios(quick: boolean, restartMs: number): FlowScenario[] {
	const events = quick ? 60 : 400;
	const perEvent = (r: FlowRun): Target => ({
		figure: `requests per event${r.requestsFromRecords ? ' (attempts from the records: a closed port counts none)' : ''}`,
		target: '≤ 0.25',
		value: f(r.requestsPerEvent, 2),
		met: r.requestsPerEvent <= 0.25,
	});
	const peak = (r: FlowRun, s: FlowScenario): Target => ({
		figure: 'peak in flight at the receiver',
		target: `≤ Concurrency (${concurrencyOf(s.ours)})`,
		value: f(r.peakInFlight),
		met: r.peakInFlight <= concurrencyOf(s.ours),
	});
	const lost = (r: FlowRun): Target => ({ figure: 'events lost', target: '= 0', value: f(r.lost), met: r.lost === 0 });
	const list: FlowScenario[] = [
		{
			key: 'realtime-down',
			title: `real time, ${events} events, down (connection refused)`,
			behaviour: { kind: 'refused' },
			events,
			ours: {},
			capMs: quick ? 120_000 : 300_000,
			targets: (r) => [perEvent(r), lost(r)],
		},
		{
			key: 'realtime-hanging',
			title: `real time, ${events} events, hanging, Timeout 3 s`,
			behaviour: { kind: 'hanging' },
			events,
			ours: { timeout: 3000 },
			capMs: quick ? 120_000 : 300_000,
			targets: (r) => [perEvent(r), lost(r)],
		},
		{
			key: 'realtime-restarting',
			title: `real time, ${events} events, restarting (503 for the first ${restartMs / 1000} s)`,
			behaviour: { kind: 'restarting', downMs: restartMs, latencyMs: 50 },
			events,
			ours: {},
			capMs: quick ? 120_000 : 300_000,
			targets: (r) => [lost(r)],
		},
	];
	const capped: FlowScenario = {
		key: 'realtime-capped',
		title: `real time, ${events} events, concurrency-capped N = 8, Concurrency option 10`,
		behaviour: { kind: 'capped', limit: 8, latencyMs: 50 },
		events,
		ours: { concurrency: 10 },
		capMs: quick ? 120_000 : 300_000,
		targets: (r, self) => [
			peak(r, self),
			{ figure: 'rejected (503) of requests', target: '< 10 %', value: `${f(pct(r.rejected, r.requests), 1)} %`, met: pct(r.rejected, r.requests) < 10 },
			lost(r),
		],
	};
	list.push(capped);
	// the Concurrency bound holds for every receiver that counts requests
	for (const s of list) {
		if (s === capped || s.behaviour.kind === 'refused') continue;
		const own = s.targets;
		s.targets = (r, self) => [...own(r, self), peak(r, self)];
	}
	return list;
}

/** BENCH_SCENARIOS=hanging,refused: a token selects a scenario by its key or every key that starts with `token-`. */
export function selected(key: string, tokens: string[]): boolean {
	return tokens.length === 0 || tokens.some((t) => key === t || key.startsWith(`${t}-`));
}

// ---------------------------------------------------------------------------------------------------------------
// Running

export interface BatchRun {
	scenario: string;
	sender: SenderKind;
	label: string;
	items: number;
	/** Contacts the receiver accepted (2xx). */
	accepted: number;
	/** Items out of the node: delivered (main output, no error) and failed (error output, or an item with an error). */
	outOk: number;
	outFailed: number;
	/** Failed items that are a delivery record with its request (our node only). */
	replayable: number;
	/** Attempts our node's records count (what a closed port cannot count); NaN for the HTTP Request node. */
	attempts: number;
	requests: number;
	rejected: number;
	peakInFlight: number;
	duplicates: number;
	/** startedAt → stoppedAt of the execution (or the bench's own clock for a stopped run), ms. */
	wallMs: number;
	/** The sender node's executionTime, ms. */
	nodeMs: number;
	rssBeforeMb: number;
	rssPeakMb: number;
	/** n8n main process CPU time during the run, ms. */
	cpuMs: number;
	/** What the sender node's output items weigh in the stored execution (JSON characters per item, both outputs). */
	outputBytesPerItem: number;
	executionStatus: string;
	/** Stopped at the cap. */
	stopped: boolean;
	failure?: string;
}


const UNFINISHED = ['new', 'running', 'waiting', 'unknown'];
/** How often to ask n8n whether a run has finished: the times come from the executions, so polling costs only n8n's CPU. */
const POLL_MS = 1000;

/**
 * Stops every unfinished execution of the workflow as the editor's Stop button does (n8n's REST API: `stopMany` by
 * status, else one by one from the list); returns how many were unfinished.
 */
async function stopRunning(inst: SingleInstance, wfId: string): Promise<number> {
	const running = (await api(async () => await inst.api.executions(wfId))).filter((e) => UNFINISHED.includes(e.status));
	const many = (await inst.api.rest('POST', '/rest/executions/stopMany', { filter: { workflowId: wfId, status: UNFINISHED } }).catch(() => undefined)) as
		| { data?: { stopped?: number } }
		| undefined;
	if (!many) for (const e of running) await inst.api.rest('POST', `/rest/executions/${e.id}/stop`).catch(() => undefined);
	return Math.max(running.length, many?.data?.stopped ?? 0);
}

/** Samples n8n's RSS every 50 ms and its CPU ticks, from now until `done()`. */
function sampler(pid: number) {
	const rssBefore = rssMb(pid);
	const cpu0 = cpuTicks(pid);
	let peak = rssBefore;
	const timer = setInterval(() => {
		peak = Math.max(peak, rssMb(pid));
	}, 50);
	return {
		rssBefore,
		done: () => {
			clearInterval(timer);
			peak = Math.max(peak, rssMb(pid));
			return { rssPeak: peak, cpuMs: (cpuTicks(pid) - cpu0) * 10 };
		},
	};
}

function batchSender(s: BatchScenario, sender: SenderKind, url: string): WorkflowNode {
	if (sender !== 'http') {
		return klickTippSender(
			url,
			[
				['={{ $json.contact.id }}', 'id'],
				['={{ $json.contact.firstName }}', 'first_name'],
				['={{ $json.contact.fields.fieldCompany }}', 'company', 'n/a'],
			],
			{ options: oursOptions(s, sender) },
		);
	}
	return httpRequestNode(
		url,
		[
			{ name: 'id', value: '={{ $json.contact.id }}' },
			{ name: 'email', value: '={{ $json.contact.email }}' },
			{ name: 'first_name', value: '={{ $json.contact.firstName }}' },
			{ name: 'company', value: "={{ $json.contact.fields.fieldCompany || 'n/a' }}" },
		],
		{ timeoutMs: s.httpTimeoutMs, onError: 'continueRegularOutput' },
	);
}

export const SENDER_LABELS: Record<Exclude<SenderKind, 'oracle'>, string> = {
	ours: 'KlickTipp Outbound',
	http: 'HTTP Request 4.2',
};

/** Our node's options in a run of `sender`. */
const oursOptions = (s: BatchScenario, sender: SenderKind) => (sender === 'oracle' ? (s.oracle ?? {}) : s.ours);

function oursLabel(options: Record<string, unknown>): string {
	const set = Object.entries(options).map(([k, v]) => `${k} ${String(v)}`);
	return `${SENDER_LABELS.ours}${set.length ? ` (${set.join(', ')})` : ''}`;
}

/** A delivery record on our node's error output that Redeliver can send again. */
function replayable(json: Record<string, any>): boolean {
	const record = (json.error ?? json) as Record<string, any>;
	return record.status === 'failed' && typeof record.request?.url === 'string' && record.request.url !== '';
}

const countOf = (exec: Execution, node: string) => (nodeItems(exec, node, 0)[0]?.json ?? { count: 0, errors: 0 }) as { count: number; errors: number };

export async function runBatchOne(inst: SingleInstance, s: BatchScenario, sender: SenderKind): Promise<BatchRun> {
	const rx = await startBehaviour(s.behaviour);
	const hookPath = `bench-rx-${s.key}-${sender}-${randomUUID().slice(0, 8)}`;
	const label = sender !== 'http' ? `${oursLabel(oursOptions(s, sender))}${sender === 'oracle' ? ', the oracle' : ''}` : `${SENDER_LABELS.http}${s.httpTimeoutMs ? ` (timeout ${s.httpTimeoutMs})` : ' (defaults)'}`;
	const base: BatchRun = {
		scenario: s.key,
		sender,
		label,
		items: s.items,
		accepted: 0,
		outOk: 0,
		outFailed: 0,
		replayable: 0,
		attempts: NaN,
		requests: 0,
		rejected: 0,
		peakInFlight: 0,
		duplicates: 0,
		wallMs: NaN,
		nodeMs: NaN,
		rssBeforeMb: NaN,
		rssPeakMb: NaN,
		cpuMs: NaN,
		outputBytesPerItem: NaN,
		executionStatus: 'n/a',
		stopped: false,
	};
	let wfId: string | undefined;
	const pid = inst.n8n.child.pid!;
	try {
		const node = batchSender(s, sender, `${rx.url}/crm`);
		wfId = await api(async () => await inst.api.createAndActivate(deliveryWorkflow(`bench receivers: ${s.key} ${sender}`, hookPath, s.items, node, { count: sender === 'http' ? 1 : 2 })));
		await inst.api.waitForWebhook(inst.webhookBase, hookPath);
		await waitIdle(pid);
		await sleep(300);
		const sample = sampler(pid);
		base.rssBeforeMb = sample.rssBefore;
		rx.begin();
		if (cpuProfDir) process.kill(pid, 'SIGUSR2'); // start n8n's profiler (bench/cpu-profile.cjs)
		const t0 = Date.now();
		const res = await fetch(inst.webhookUrl(hookPath), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
		if (!res.ok) throw new Error(`starting ${s.key}: ${res.status} ${await res.text()}`);
		let exec: Execution;
		try {
			[exec] = await api(async () => await inst.api.waitForExecutions(wfId!, 1, { timeoutMs: Math.max(1000, s.capMs - (Date.now() - t0)), settleMs: 0, includeData: false, pollMs: POLL_MS }));
		} catch (error) {
			if (!/expected 1 finished/.test(String((error as Error).message))) throw error;
			// outlasted the cap: stop it like the editor's Stop button, then let the receiver go
			base.stopped = true;
			base.wallMs = Date.now() - t0;
			await stopRunning(inst, wfId);
			await rx.close();
			[exec] = await api(async () => await inst.api.waitForExecutions(wfId!, 1, { timeoutMs: 60_000, settleMs: 0, includeData: false, pollMs: POLL_MS }));
		}
		const m = sample.done();
		if (cpuProfDir) await collectProfile(pid, cpuProfDir, `receivers-${s.key}-${sender}`);
		const full = await api(async () => await inst.api.execution(exec.id));
		const run = (full.data?.resultData.runData[SENDER] ?? [])[0] as { executionTime?: number } | undefined;
		const t = tally(rx.requests);
		let outOk = 0;
		let outFailed = 0;
		let replay = 0;
		let attempts = NaN;
		if (sender !== 'http') {
			attempts = [...nodeItems(full, SENDER, 0), ...nodeItems(full, SENDER, 1)].reduce((n, i) => n + Number((i.json.error ?? i.json).attempts ?? 0), 0);
			const main = countOf(full, COUNTERS[0]);
			outOk = main.count - main.errors;
			outFailed = countOf(full, COUNTERS[1]).count + main.errors;
			replay = nodeItems(full, SENDER, 1).filter((i) => replayable(i.json)).length;
		} else {
			const main = countOf(full, COUNTERS[0]);
			outOk = main.count - main.errors;
			outFailed = main.errors;
		}
		dumpRequests(`${s.key}-${sender}`, rx.requests);
		return {
			...base,
			accepted: t.accepted,
			outOk,
			outFailed,
			replayable: replay,
			attempts,
			requests: t.requests,
			rejected: t.rejected,
			peakInFlight: t.peakInFlight,
			duplicates: t.duplicates,
			wallMs: base.stopped ? base.wallMs : full.stoppedAt ? new Date(full.stoppedAt).getTime() - new Date(full.startedAt).getTime() : Date.now() - t0,
			nodeMs: run?.executionTime ?? NaN,
			rssPeakMb: m.rssPeak,
			cpuMs: m.cpuMs,
			outputBytesPerItem: JSON.stringify([...nodeItems(full, SENDER, 0), ...nodeItems(full, SENDER, 1)]).length / s.items,
			executionStatus: full.status,
		};
	} catch (error) {
		const t = tally(rx.requests);
		return { ...base, accepted: t.accepted, requests: t.requests, rejected: t.rejected, peakInFlight: t.peakInFlight, failure: String((error as Error).message).slice(0, 300) };
	} finally {
		if (wfId) await api(async () => await inst.api.deactivate(wfId!)).catch(() => undefined);
		await rx.close();
	}
}

export interface FlowRun {
	scenario: string;
	events: number;
	/** Events the trigger did not answer 2xx. */
	notAccepted: number;
	delivered: number;
	failedReplayable: number;
	lost: number;
	/** Executions still unfinished at the cap (stopped; counted lost). */
	unfinished: number;
	requests: number;
	/** True when requests are counted from the delivery records' attempts (a closed port counts none). */
	requestsFromRecords: boolean;
	requestsPerEvent: number;
	peakInFlight: number;
	rejected: number;
	/** First event posted → last execution stopped, ms. */
	wallMs: number;
	rssBeforeMb: number;
	rssPeakMb: number;
	cpuMs: number;
	failure?: string;
}

/** Posts the events over `connections` concurrent connections (each a loop of one request at a time). */
async function postEvents(url: string, events: number, connections: number): Promise<number> {
	let next = 0;
	let notAccepted = 0;
	const worker = async () => {
		for (let i = next++; i < events; i = next++) {
			try {
				const res = await postForm(url, contactParams(200000 + i));
				await res.arrayBuffer();
				if (!res.ok) notAccepted++;
			} catch {
				notAccepted++;
			}
		}
	};
	await Promise.all(Array.from({ length: Math.min(connections, events) }, worker));
	return notAccepted;
}

export async function runFlowOne(inst: SingleInstance, s: FlowScenario, connections: number): Promise<FlowRun> {
	const rx = await startBehaviour(s.behaviour);
	const hookPath = `bench-rt-${s.key}-${randomUUID().slice(0, 8)}`;
	const TRIGGER = 'KlickTipp Outbound Trigger';
	const base: FlowRun = {
		scenario: s.key,
		events: s.events,
		notAccepted: 0,
		delivered: 0,
		failedReplayable: 0,
		lost: s.events,
		unfinished: 0,
		requests: 0,
		requestsFromRecords: s.behaviour.kind === 'refused',
		requestsPerEvent: NaN,
		peakInFlight: 0,
		rejected: 0,
		wallMs: NaN,
		rssBeforeMb: NaN,
		rssPeakMb: NaN,
		cpuMs: NaN,
	};
	let wfId: string | undefined;
	const pid = inst.n8n.child.pid!;
	try {
		const sender = klickTippSender(`${rx.url}/crm`, [['={{ $json.contact.id }}', 'id'], ['={{ $json.contact.firstName }}', 'first_name']], { options: s.ours });
		wfId = await api(
			async () =>
				await inst.api.createAndActivate({
					name: `bench receivers: ${s.key}`,
					nodes: [triggerNode(hookPath, { authentication: 'none' }, undefined, TRIGGER), sender],
					connections: connect([[TRIGGER, SENDER]]),
				}),
		);
		await inst.api.waitForWebhook(inst.webhookBase, hookPath);
		await waitIdle(pid);
		await sleep(300);
		const sample = sampler(pid);
		base.rssBeforeMb = sample.rssBefore;
		rx.begin();
		const t0 = Date.now();
		base.notAccepted = await postEvents(inst.webhookUrl(hookPath), s.events, connections);
		const expected = s.events - base.notAccepted;
		try {
			await inst.api.waitForExecutions(wfId, expected, { timeoutMs: Math.max(1000, s.capMs - (Date.now() - t0)), settleMs: 500, includeData: false, pollMs: POLL_MS });
		} catch (error) {
			if (!/finished executions/.test(String((error as Error).message))) throw error;
			// outlasted the cap: stop what is left, let the receiver go, and count those events lost
			base.unfinished = await stopRunning(inst, wfId);
			await rx.close();
			await sleep(5000);
		}
		const m = sample.done();
		// read every execution back, with its data
		const full = await api(async () => await inst.api.executions(wfId!, { includeData: true }));
		let delivered = 0;
		let failedReplayable = 0;
		let attempts = 0;
		let lastStop = t0;
		for (const e of full) {
			if (e.stoppedAt) lastStop = Math.max(lastStop, new Date(e.stoppedAt).getTime());
			const ok = nodeItems(e, SENDER, 0).map((i) => i.json);
			const failed = nodeItems(e, SENDER, 1).map((i) => i.json);
			for (const j of [...ok, ...failed]) attempts += Number((j.error ?? j).attempts ?? 0);
			if (ok.some((j) => j.status === 'delivered')) delivered++;
			else if (failed.length > 0 && failed.every(replayable)) failedReplayable++;
		}
		const t = tally(rx.requests);
		const requests = base.requestsFromRecords ? attempts : t.requests;
		dumpRequests(s.key, rx.requests);
		return {
			...base,
			delivered,
			failedReplayable,
			lost: s.events - delivered - failedReplayable,
			requests,
			requestsPerEvent: requests / s.events,
			peakInFlight: t.peakInFlight,
			rejected: t.rejected,
			wallMs: lastStop - t0,
			rssPeakMb: m.rssPeak,
			cpuMs: m.cpuMs,
		};
	} catch (error) {
		const t = tally(rx.requests);
		return { ...base, requests: t.requests, peakInFlight: t.peakInFlight, rejected: t.rejected, failure: String((error as Error).message).slice(0, 300) };
	} finally {
		if (wfId) await api(async () => await inst.api.deactivate(wfId!)).catch(() => undefined);
		await rx.close();
	}
}

export interface ReceiversResult {
	batch: BatchScenario[];
	batchRuns: BatchRun[];
	flow: FlowScenario[];
	flowRuns: FlowRun[];
	connections: number;
}

/**
 * Runs the selected scenarios: each one-execution scenario with our node and then the HTTP Request node (every n8n
 * started for them, also the fresh one after a run stopped at its cap, first gets a warm-up: our node, 200 items,
 * healthy, not reported), then, in a fresh n8n, each real-time scenario.
 */
export async function runReceivers(
	start: () => Promise<SingleInstance>,
	opts: { quick: boolean; tokens: string[]; restartMs: number; connections: number; oursOptions?: Record<string, unknown> },
	log: (s: string) => void,
): Promise<ReceiversResult> {
	// BENCH_OURS_OPTIONS: options for our node in every scenario (e.g. {"outageBudgetSeconds":0}); a scenario's own win
	const extra = opts.oursOptions ?? {};
	const batch = batchScenarios(opts.quick, opts.restartMs)
		.filter((s) => selected(s.key, opts.tokens))
		.map((s) => ({ ...s, ours: { ...extra, ...s.ours } }));
	const flow = flowScenarios(opts.quick, opts.restartMs)
		.filter((s) => selected(s.key, opts.tokens))
		.map((s) => ({ ...s, ours: { ...extra, ...s.ours } }));
	const keys = [...batchScenarios(opts.quick, opts.restartMs), ...flowScenarios(opts.quick, opts.restartMs)].map((s) => s.key);
	const unknown = opts.tokens.filter((t) => !keys.some((k) => selected(k, [t])));
	if (unknown.length > 0) log(`  BENCH_SCENARIOS: no scenario matches ${unknown.join(', ')}; the scenarios are ${keys.join(', ')}`);
	const result: ReceiversResult = { batch, batchRuns: [], flow, flowRuns: [], connections: opts.connections };
	let inst: SingleInstance | undefined;
	/** A running n8n; a fresh one for the one-execution part gets a warm-up run first (not reported). */
	const ready = async (warmUp: boolean) => {
		if (!inst || inst.n8n.hasExited) {
			if (inst) await inst.stop().catch(() => undefined);
			inst = await start();
			if (warmUp) {
				const healthy = batchScenarios(true, opts.restartMs).find((s) => s.key === 'healthy-5ms')!;
				// both senders, so neither measured run pays for the fresh process's first heap growth (the RSS figures)
				for (const sender of ['ours', 'http'] as SenderKind[]) {
					const warm = await runBatchOne(inst, { ...healthy, items: 1000 }, sender);
					log(`  warm-up (${sender}): ${warm.accepted}/1000 delivered, node ${warm.nodeMs} ms${warm.failure ? `, ${warm.failure}` : ''}`);
				}
			}
		}
		return inst;
	};
	try {
		for (const s of batch) {
			for (const sender of (s.oracle ? ['ours', 'oracle', 'http'] : ['ours', 'http']) as SenderKind[]) {
				const r = await runBatchOne(await ready(true), s, sender);
				log(
					`  ${s.key} / ${r.label}: ${r.accepted}/${r.items} accepted, out ok ${r.outOk} / failed ${r.outFailed} (replayable ${r.replayable}), ` +
						`${r.requests} requests (${r.rejected} rejected; attempts ${r.attempts}), peak in flight ${r.peakInFlight}, wall ${f(r.wallMs / 1000, 1)} s, node ${f(r.nodeMs / 1000, 1)} s, ` +
						`RSS ${f(r.rssBeforeMb)} → ${f(r.rssPeakMb)} MB, CPU ${f(r.cpuMs / 1000, 1)} s, execution ${r.executionStatus}${r.stopped ? ', STOPPED at the cap' : ''}` +
						(r.failure ? `, ${r.failure}` : ''),
				);
				result.batchRuns.push(r);
				if (r.stopped && inst) {
					// n8n cannot interrupt a node: after Stop our node's loop (or the HTTP Request node's requests) runs on
					// in the background; a fresh n8n keeps that out of the next run's figures
					await inst.stop().catch(() => undefined);
					inst = undefined;
				}
			}
		}
		if (flow.length > 0 && inst) {
			await inst.stop().catch(() => undefined);
			inst = undefined;
		}
		for (const s of flow) {
			const r = await runFlowOne(await ready(false), s, opts.connections);
			log(
				`  ${s.key}: ${r.events} events (${r.notAccepted} not accepted), delivered ${r.delivered}, failed+replayable ${r.failedReplayable}, lost ${r.lost}` +
					` (${r.unfinished} unfinished), ${r.requests} requests (${f(r.requestsPerEvent, 2)} per event), peak in flight ${r.peakInFlight}, ` +
					`${r.rejected} rejected, wall ${f(r.wallMs / 1000, 1)} s${r.failure ? `, ${r.failure}` : ''}`,
			);
			result.flowRuns.push(r);
			if (r.unfinished > 0 && inst) {
				await inst.stop().catch(() => undefined);
				inst = undefined;
			}
		}
	} finally {
		await inst?.stop().catch(() => undefined);
	}
	return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

/** One line of the "Targets" list per scenario: every figure with its target, met or missed. */
function noteOf(title: string, ts: Target[]): string {
	const all = ts.every((t) => t.met);
	return `Receivers, ${title}: **${all ? 'met' : 'missed'}** (${ts.map((t) => `${t.figure} ${t.value}, target ${t.target}: ${t.met ? 'met' : 'missed'}`).join('; ')}).`;
}

/** The section's markdown: a table of runs and a table of targets per part. */
export function receiversMarkdown(r: ReceiversResult, version: string): { md: string; notes: string[] } {
	const parts: string[] = [];
	const notes: string[] = [];
	if (r.batchRuns.length > 0) {
		const rows = [
			`| Scenario (n8n ${version}) | Sender | items | delivered (receiver) | out ok / failed (node) | wall s | node s | requests (rejected); our records' attempts | peak in flight | n8n RSS before → peak MB | n8n CPU s |`,
			'|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
		];
		for (const x of r.batchRuns) {
			const s = r.batch.find((b) => b.key === x.scenario)!;
			const note = x.failure ? ` (did not complete: ${x.failure.replace(/\|/g, '/').slice(0, 120)})` : x.stopped ? ` (**cap of ${f(s.capMs / 1000)} s reached**: stopped, receiver closed; execution ${x.executionStatus})` : '';
			rows.push(
				`| ${s.title} | ${x.label}${note} | ${f(x.items)} | ${f(x.accepted)}${x.duplicates ? ` (${f(x.duplicates)} more than once)` : ''} | ${f(x.outOk)} / ${f(x.outFailed)} | ${f(x.wallMs / 1000, 1)} | ${f(x.nodeMs / 1000, 1)} | ` +
					`${f(x.requests)} (${f(x.rejected)})${Number.isFinite(x.attempts) ? `; attempts ${f(x.attempts)}` : ''} | ${f(x.peakInFlight)} | ${f(x.rssBeforeMb)} → ${f(x.rssPeakMb)} | ${f(x.cpuMs / 1000, 1)} |`,
			);
		}
		const targetRows = ['| Scenario | Figure (our node) | value | target | |', '|---|---|---:|---|---|'];
		for (const s of r.batch) {
			const ours = r.batchRuns.find((x) => x.scenario === s.key && x.sender === 'ours');
			if (!ours) continue;
			const http = r.batchRuns.find((x) => x.scenario === s.key && x.sender === 'http');
			const oracle = r.batchRuns.find((x) => x.scenario === s.key && x.sender === 'oracle');
			const ts = s.targets(ours, http, oracle);
			for (const t of ts) targetRows.push(`| ${s.title} | ${t.figure} | ${t.value} | ${t.target} | ${t.met ? 'met' : '**missed**'} |`);
			notes.push(noteOf(s.title, ts));
		}
		parts.push(`${rows.join('\n')}\n\n${targetRows.join('\n')}`);
		const growth = costGrowth(r.batchRuns);
		if (growth) {
			const rowsG = ['| Cost as the run grows | value | target | |', '|---|---:|---|---|'];
			for (const t of growth.targets) rowsG.push(`| ${t.figure} | ${t.value} | ${t.target} | ${t.met ? 'met' : '**missed**'} |`);
			parts.push(`${growth.md}\n\n${rowsG.join('\n')}`);
			notes.push(noteOf('cost per item as the run grows', growth.targets.filter((t) => t.target !== '—')));
		}
	}
	if (r.flowRuns.length > 0) {
		const rows = [
			`| Real-time scenario (n8n ${version}) | events | delivered | failed, replayable | lost (unfinished) | requests per event | peak in flight | rejected % | wall s | n8n RSS before → peak MB | n8n CPU s |`,
			'|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
		];
		for (const x of r.flowRuns) {
			const s = r.flow.find((b) => b.key === x.scenario)!;
			const note = x.failure ? ` (did not complete: ${x.failure.replace(/\|/g, '/').slice(0, 120)})` : '';
			rows.push(
				`| ${s.title}${note} | ${f(x.events)} | ${f(x.delivered)} | ${f(x.failedReplayable)} | ${f(x.lost)} (${f(x.unfinished)}) | ${f(x.requestsPerEvent, 2)}${x.requestsFromRecords ? ' (attempts)' : ''} | ` +
					`${f(x.peakInFlight)} | ${f(pct(x.rejected, x.requests), 1)} | ${f(x.wallMs / 1000, 1)} | ${f(x.rssBeforeMb)} → ${f(x.rssPeakMb)} | ${f(x.cpuMs / 1000, 1)} |`,
			);
		}
		const targetRows = ['| Real-time scenario | Figure | value | target | |', '|---|---|---:|---|---|'];
		for (const s of r.flow) {
			const x = r.flowRuns.find((y) => y.scenario === s.key);
			if (!x) continue;
			const ts = s.targets(x, s);
			for (const t of ts) targetRows.push(`| ${s.title} | ${t.figure} | ${t.value} | ${t.target} | ${t.met ? 'met' : '**missed**'} |`);
			notes.push(noteOf(s.title, ts));
		}
		parts.push(`${rows.join('\n')}\n\n${targetRows.join('\n')}`);
	}
	return { md: parts.join('\n\n'), notes };
}
