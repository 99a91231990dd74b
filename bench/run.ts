/**
 * `npm run bench`: side-by-side numbers on the real n8n from the e2e harness (issue 5). Prints a markdown table
 * and writes it with the machine, the n8n version and notes to BENCHMARKS.md. Not part of the test pass/fail.
 *
 * Knobs (environment): BENCH_ONLY=micro,trigger,outbound,ratelimit,receivers  BENCH_QUICK=1 (short smoke run, BENCHMARKS.md
 * untouched) BENCH_CONNECTIONS (10) BENCH_DURATION (10 s) BENCH_ROUNDS (3) BENCH_ITEMS (10000) BENCH_RATE_ITEMS (5000)
 * BENCH_RATE (200 requests/s) BENCH_OUT (BENCHMARKS.md) BENCH_TARGETS (trigger endpoints, e.g. oursSignature,n8nNone)
 * BENCH_CPU_PROF (a folder: n8n runs with --cpu-prof and writes its profiles there) KLICKTIPP_N8N_VERSION
 * BENCH_N8N_ENV (extra n8n settings, e.g. N8N_EXPRESSION_ENGINE_POOL_SIZE=2,N8N_EXPRESSION_ENGINE=legacy).
 * "Receivers as they are" (bench/receivers.ts): BENCH_SCENARIOS (e.g. hanging,refused,realtime-capped; a name selects
 * every scenario whose key starts with it) BENCH_RESTART_S (20, quick 5: how long the restarting receiver answers 503)
 * BENCH_RT_CONNECTIONS (50: connections posting the real-time events) BENCH_RECEIVER_LOG (a folder: every receiver's
 * requests as JSON lines) BENCH_OURS_OPTIONS (JSON: our node's options in every scenario, e.g. {"outageBudgetSeconds":0}).
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { installRecord } from '../scripts/ensure-n8n.mjs';
import { DEFAULT_VERSION, hasNode, ROOT, startSingle, type SingleInstance } from '../test/e2e/harness';
import { runMicro, type MicroResult } from './micro';
import { runOutbound, type OutboundRun } from './outbound';
import { runRateLimit, type RateRun } from './ratelimit';
import { receiversMarkdown, runReceivers, type ReceiversResult } from './receivers';
import { PAIRS, runTrigger, TARGET_LABELS, TARGETS, type Target, type TriggerResult } from './trigger';

const quick = process.env.BENCH_QUICK === '1';
const only = new Set((process.env.BENCH_ONLY || 'micro,trigger,outbound,ratelimit,receivers').split(',').map((s) => s.trim()));
const num = (name: string, def: number, quickDef: number) => Number(process.env[name] || (quick ? quickDef : def));
const cfg = {
	connections: num('BENCH_CONNECTIONS', 10, 10),
	durationSec: num('BENCH_DURATION', 10, 3),
	warmupSec: quick ? 2 : 5,
	rounds: num('BENCH_ROUNDS', 3, 1),
	signedCount: 20_000,
	items: num('BENCH_ITEMS', 10_000, 1000),
	smallItems: quick ? 200 : 2000,
	outboundTimeoutMs: 240_000,
	microMs: quick ? 500 : 2000,
	rateItems: num('BENCH_RATE_ITEMS', 5000, 500),
	rate: num('BENCH_RATE', 200, 200),
	/** BENCH_TARGETS=oursSignature,n8nNone: only these trigger endpoints (e.g. one at a time for a CPU profile). */
	targets: (process.env.BENCH_TARGETS || '').split(',').map((s) => s.trim()).filter(Boolean) as Target[],
	rateRounds: num('BENCH_RATE_ROUNDS', 2, 1),
	scenarios: (process.env.BENCH_SCENARIOS || '').split(',').map((s) => s.trim()).filter(Boolean),
	restartMs: num('BENCH_RESTART_S', 20, 5) * 1000,
	rtConnections: num('BENCH_RT_CONNECTIONS', 50, 50),
	oursOptions: JSON.parse(process.env.BENCH_OURS_OPTIONS || '{}') as Record<string, unknown>,
};

const log = (s: string) => console.error(s);
/** BENCHMARKS.md from this heading on is written by hand and kept when the bench rewrites the numbers above it. */
const HAND_WRITTEN = '## Findings and history (written by hand)';
/**
 * BENCH_CPU_PROF=<dir>: n8n writes a V8 CPU profile of each measured trigger run there, named after the endpoint
 * (bench/cpu-profile.cjs; summarise one with `node --import tsx bench/profile.ts <file>`).
 */
const cpuProfDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
/** BENCH_N8N_ENV=K=V,K2=V2: extra environment for n8n (its settings), recorded in the report's header. */
const n8nEnv: Record<string, string> = Object.fromEntries(
	(process.env.BENCH_N8N_ENV || '')
		.split(',')
		.map((kv) => kv.trim())
		.filter(Boolean)
		.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const fmt = (n: number, d = 0) =>
	Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a';
const median = (xs: number[]) => {
	const s = [...xs].sort((a, b) => a - b);
	return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function machine() {
	const cpus = os.cpus();
	return {
		nproc: os.availableParallelism?.() ?? cpus.length,
		cpu: cpus[0]?.model?.trim() ?? 'unknown',
		memGb: os.totalmem() / 1024 ** 3,
		node: process.version,
		os: `${os.type()} ${os.release()} ${os.arch()}`,
	};
}

/** Other busy processes (not ours) at the moment, to record whether the machine was quiet. */
function busyProcesses(): string[] {
	try {
		const out = execSync('ps -eo pcpu=,pid=,comm= --sort=-pcpu', { encoding: 'utf8' });
		return out
			.split('\n')
			.map((l) => l.trim())
			.filter(Boolean)
			.filter((l) => Number(l.split(/\s+/)[0]) >= 20 && Number(l.split(/\s+/)[1]) !== process.pid)
			.slice(0, 5);
	} catch {
		return [];
	}
}

interface PairResult {
	name: string;
	ours: Target;
	theirs: Target;
	target: number;
	ratio: number;
	perRound: number[];
}

function triggerTable(t: TriggerResult): { md: string; pairs: PairResult[] } {
	const of = (target: Target) => t.runs.filter((r) => r.target === target);
	const rps = (target: Target) => median(of(target).map((r) => r.reqPerSec));
	const p = (target: Target, k: 'p50' | 'p99') => median(of(target).map((r) => r[k]));
	const rounds = [...new Set(t.runs.map((r) => r.round))];
	const rows = [
		'| Webhook endpoint | req/s (median) | req/s per round | p50 ms | p99 ms | n8n CPU ms / request | non-2xx / errors |',
		'|---|---:|---|---:|---:|---:|---:|',
	];
	for (const target of TARGETS.filter((x) => of(x).length > 0)) {
		rows.push(
			`| ${TARGET_LABELS[target]} | ${fmt(rps(target))} | ${of(target).map((r) => fmt(r.reqPerSec)).join(' / ')} | ${fmt(p(target, 'p50'), 1)} | ${fmt(p(target, 'p99'), 1)} | ${fmt(median(of(target).map((r) => r.cpuMsPerReq)), 2)} | ${of(target).reduce((s, r) => s + r.non2xx, 0)} / ${of(target).reduce((s, r) => s + r.errors, 0)} |`,
		);
	}
	const pairs: PairResult[] = PAIRS.filter((pair) => of(pair.ours).length > 0 && of(pair.theirs).length > 0).map((pair) => ({
		...pair,
		ratio: rps(pair.ours) / rps(pair.theirs),
		perRound: rounds.map(
			(round) => (of(pair.ours).find((r) => r.round === round)?.reqPerSec ?? NaN) / (of(pair.theirs).find((r) => r.round === round)?.reqPerSec ?? NaN),
		),
	}));
	const pairRows = [
		'| Pair (ours / n8n) | ratio of medians | ratio per round | target |',
		'|---|---:|---|---:|',
		...pairs.map(
			(x) => `| ${x.name} | **${fmt(x.ratio, 2)}×** | ${x.perRound.map((r) => fmt(r, 2)).join(' / ')} | ≥ ${fmt(x.target, 2)}× ${x.ratio >= x.target ? 'met' : 'missed'} |`,
		),
	];
	return { md: `${rows.join('\n')}\n\n${pairRows.join('\n')}`, pairs };
}

function outboundTable(runs: OutboundRun[]): { md: string; ratio: number; ratioBatching: number } {
	const rows = [
		'| Sender | items | delivered | node time ms | execution wall ms | deliveries/s | n8n RSS before → peak MB (Δ) |',
		'|---|---:|---:|---:|---:|---:|---|',
	];
	for (const r of runs) {
		if (r.failure) {
			rows.push(`| ${r.label} | ${fmt(r.items)} | ${fmt(r.delivered)} | did not complete | | | ${r.failure.replace(/\|/g, '/')} |`);
			continue;
		}
		rows.push(
			`| ${r.label} | ${fmt(r.items)} | ${fmt(r.delivered)} | ${fmt(r.nodeMs)} | ${fmt(r.wallMs)} | ${fmt(r.deliveriesPerSec)} | ${fmt(r.rssBeforeMb)} → ${fmt(r.rssPeakMb)} (+${fmt(r.rssPeakMb - r.rssBeforeMb)}) |`,
		);
	}
	const big = runs.filter((r) => r.items === Math.max(...runs.map((x) => x.items)));
	const ours = big.find((r) => r.label.startsWith('KlickTipp') && !r.failure);
	const def = big.find((r) => r.label.includes('defaults'));
	const bat = big.find((r) => r.label.includes('batching'));
	const ratio = ours && def ? def.nodeMs / ours.nodeMs : NaN;
	const ratioBatching = ours && bat ? bat.nodeMs / ours.nodeMs : NaN;
	rows.push(`| **speed-up ours vs HTTP Request defaults (node time)** | | | **${fmt(ratio, 2)}×** | | | |`);
	rows.push(`| **speed-up ours vs HTTP Request batching (node time)** | | | **${fmt(ratioBatching, 2)}×** | | | |`);
	return { md: rows.join('\n'), ratio, ratioBatching };
}

function rateTable(runs: RateRun[]): string {
	const rows = [
		'| Sender | round | items | delivered | failed | 429 answers / requests | node time s | × ideal (N / R) |',
		'|---|---:|---:|---:|---:|---:|---:|---:|',
	];
	for (const r of runs) {
		const ideal = r.items / r.rate;
		const time = r.nodeMs / 1000;
		const outcome = r.failure ? ` (did not complete: ${r.failure.replace(/\|/g, '/').slice(0, 120)})` : r.executionStatus !== 'success' ? ` (execution ${r.executionStatus})` : '';
		rows.push(
			`| ${r.label}${outcome} | ${r.round} | ${fmt(r.items)} | ${fmt(r.delivered)} | ${fmt(r.failed)} | ${fmt(r.throttled)} / ${fmt(r.requests)} | ${fmt(time, 1)} | ${fmt(time / ideal, 2)}× |`,
		);
	}
	return rows.join('\n');
}

function microTable(m: MicroResult): string {
	return [
		'| Core operation | per second |',
		'|---|---:|',
		`| contacts mapped (email + 14 fields with defaults + 2 static values + 3 URL placeholders) | ${fmt(m.mapPerSec)} |`,
		`| signatures verified (Standard Webhooks, ${m.bodyBytes} B body) | ${fmt(m.verifyPerSec)} |`,
		`| limit: raw HMAC-SHA256 over the same ${m.bodyBytes} B (node:crypto) | ${fmt(m.hmacPerSec)} |`,
		`| verify / raw HMAC | ${fmt(m.verifyPerSec / m.hmacPerSec, 2)}× |`,
	].join('\n') +
		'\n\nVerification is below the raw HMAC rate because each call also decodes the `whsec_` secret, looks up ' +
		'the three headers case-insensitively, checks the timestamp and compares in constant time.';
}

async function main() {
	const started = new Date();
	const m = machine();
	const load0 = os.loadavg();
	const busy0 = busyProcesses();
	log(`bench: ${m.cpu} ×${m.nproc}, ${m.memGb.toFixed(1)} GB, Node ${m.node}, load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
	if (busy0.length) log(`bench: other busy processes: ${busy0.join('; ')}`);
	const sections: string[] = [];
	const notes: string[] = [];

	let micro: MicroResult | undefined;
	if (only.has('micro')) {
		log('micro-benchmarks…');
		micro = runMicro(cfg.microMs);
	}

	let trig: TriggerResult | undefined;
	let outb: OutboundRun[] | undefined;
	let rate: RateRun[] | undefined;
	let receivers: ReceiversResult | undefined;
	if (only.has('trigger') || only.has('outbound') || only.has('ratelimit') || only.has('receivers')) {
		if (!hasNode('trigger') || !hasNode('outbound')) throw new Error('dist/ lacks the nodes: run `npm run build` first');
		const start = async () => {
			log(`starting n8n ${DEFAULT_VERSION}…`);
			return await startSingle({
				label: 'bench',
				env: {
					N8N_LOG_LEVEL: 'warn',
					...n8nEnv,
					...(cpuProfDir
						? { NODE_OPTIONS: `--require ${path.join(ROOT, 'bench', 'cpu-profile.cjs')}`, BENCH_CPU_PROF_DIR: cpuProfDir }
						: {}),
				},
			});
		};
		if (only.has('trigger')) {
			const inst: SingleInstance = await start();
			try {
				log(`trigger: ${cfg.connections} connections, ${cfg.durationSec}s × ${cfg.rounds} rounds each, alternating`);
				trig = await runTrigger(inst, { ...cfg, cpuProfDir }, log);
			} finally {
				await inst.stop();
			}
		}
		if (only.has('outbound')) {
			// a fresh n8n, so the trigger's thousands of executions do not weigh on memory or the database
			log(`outbound: ${cfg.items} items per execution`);
			outb = await runOutbound(start, { items: cfg.items, smallItems: cfg.smallItems, timeoutMs: cfg.outboundTimeoutMs }, log);
		}
		if (only.has('ratelimit')) {
			log(`rate limit: ${cfg.rateItems} items to a receiver allowing ${cfg.rate} requests/s`);
			rate = await runRateLimit(start, { items: cfg.rateItems, rate: cfg.rate, timeoutMs: cfg.outboundTimeoutMs, rounds: cfg.rateRounds }, log);
		}
		if (only.has('receivers')) {
			log(`receivers as they are${cfg.scenarios.length ? `: ${cfg.scenarios.join(', ')}` : ''}`);
			receivers = await runReceivers(
				start,
				{ quick, tokens: cfg.scenarios, restartMs: cfg.restartMs, connections: cfg.rtConnections, oursOptions: cfg.oursOptions },
				log,
			);
		}
	}

	if (trig) {
		const t = triggerTable(trig);
		sections.push(
			`### 1. Trigger throughput and latency\n\nautocannon, ${trig.connections} connections, ${trig.durationSec} s per run, ` +
				`${trig.runs.length / new Set(trig.runs.map((r) => r.target)).size} rounds per endpoint (order rotated each round) after a warm-up; the same ` +
				`${trig.bodyBytes}-byte form body (${trig.fields} KlickTipp parameters with umlauts), the same Standard Webhooks ` +
				`headers and the same API-key header to every endpoint, each request signed individually before the run; each ` +
				`endpoint checks what its setting needs. Our trigger: normalization on, de-duplication off (\`dedupeSeconds: 0\`). ` +
				`All answer immediately and start one execution per request (saved to SQLite).\n\n${t.md}`,
		);
		for (const x of t.pairs) {
			notes.push(
				`Trigger, ${x.name}: ${fmt(x.ratio, 2)}× (per round ${x.perRound.map((r) => fmt(r, 2)).join(' / ')}), target ` +
					`≥ ${fmt(x.target, 2)}× **${x.ratio >= x.target ? 'met' : 'missed'}**.`,
			);
		}
	}
	if (outb) {
		const o = outboundTable(outb);
		sections.push(
			`### 2. Outbound delivery\n\nOne execution each: Webhook → Code node (makes the items) → sender → a loopback ` +
				`HTTP receiver answering 200. Same items and the same JSON parameters (email, 3 fields, 2 static values). ` +
				`"node time" is the sender node's executionTime from n8n's run data; "execution wall" is startedAt → stoppedAt ` +
				`(includes making the items); deliveries/s is counted at the receiver (first → last request). RSS is the n8n ` +
				`main process's VmRSS sampled every 50 ms.\n\n${o.md}`,
		);
		const def = outb.find((r) => r.label.includes('defaults'));
		const bat = outb.find((r) => r.label.includes('batching'));
		if (def?.failure) {
			notes.push(
				`Outbound target (≥ 4× HTTP Request defaults): the HTTP Request node with its defaults did **not complete** ` +
					`${fmt(def.items)} items (${def.failure.slice(0, 160)}); our node delivered all of them. n8n 2.4.8's HTTP ` +
					`Request node (V3, typeVersion 4.x) starts the requests for all items at once and awaits them together ` +
					`(\`Promise.allSettled\`), with no bound on parallelism, so no speed ratio can be given for this run.`,
			);
		} else {
			notes.push(
				o.ratio >= 4
					? `Outbound target (≥ 4× HTTP Request defaults) **met**: ${fmt(o.ratio, 2)}×.`
					: `Outbound target (≥ 4× HTTP Request defaults) **missed**: ours is ${fmt(o.ratio, 2)}× faster by node time ` +
							`(${fmt(o.ratioBatching, 2)}× against batching 50 / 0 ms), not 4×. Likely reason: the target assumed a ` +
							`sequential baseline, but n8n 2.4.8's HTTP Request node (V3, typeVersion 4.x) first builds the requests ` +
							`of all items, then sends them all at once and awaits them together (\`Promise.allSettled\`), with no ` +
							`bound on parallelism; batching with interval 0 does not throttle at all. That is also why its ` +
							`deliveries/s at the receiver is higher than ours: the receiver sees one burst after a long preparation, ` +
							`while the node as a whole takes longer. Against a loopback receiver that answers instantly, unbounded ` +
							`parallelism costs nothing but memory; against a real receiver it is what our bounded concurrency (16) ` +
							`and per-item retries exist to avoid.`,
			);
		}
		if (bat?.failure) notes.push(`HTTP Request with batching 50 / 0 ms did not complete: ${bat.failure.slice(0, 200)}.`);
		const small = outb.find((r) => r.items === cfg.smallItems);
		const bigOurs = outb.find((r) => r.items === cfg.items && r.label.startsWith('KlickTipp'));
		if (small && bigOurs) {
			const dSmall = small.rssPeakMb - small.rssBeforeMb;
			const dBig = bigOurs.rssPeakMb - bigOurs.rssBeforeMb;
			const httpD = outb.find((r) => r.label.includes('defaults') && !r.failure);
			notes.push(
				`Memory: n8n's RSS grew by +${fmt(dSmall)} MB for ${fmt(small.items)} items and +${fmt(dBig)} MB for ` +
					`${fmt(bigOurs.items)} items through our node` +
					(httpD ? `, against +${fmt(httpD.rssPeakMb - httpD.rssBeforeMb)} MB for the HTTP Request node's defaults` : '') +
					`. Our node keeps at most 16 requests in flight; n8n itself holds every input and output item of the ` +
					`execution in memory (and serializes them for saving), so some growth with the item count remains for ` +
					`any node. "Memory flat" holds for the requests in flight, not for the execution as a whole.`,
			);
		}
	}
	if (micro) {
		sections.push(`### 3. Core micro-benchmarks (one core, no n8n)\n\n${microTable(micro)}`);
	}
	if (rate && rate.length > 0) {
		const r0 = rate[0];
		sections.push(
			`### 4. Delivery to a rate-limited receiver\n\nOne execution each: Webhook → Code node (makes ${fmt(r0.items)} items) → ` +
				`sender → a loopback receiver that allows ${r0.rate} requests/s (token bucket of ${r0.rate}, refilled at ` +
				`${r0.rate}/s, full at the start), answers every request after 20 ms and answers 429 + \`Retry-After\` ` +
				`(whole seconds) beyond the rate; a fresh receiver per sender. Delivered = items the receiver accepted (each ` +
				`at most once); "node time" is the sender's executionTime from n8n's run data; the ideal is N / R = ` +
				`${fmt(r0.items / r0.rate, 1)} s. Our node runs with "On Error: Continue (using error output)", so failed items ` +
				`are counted there; the HTTP Request node runs as configured (defaults stop at the first failure).\n\n${rateTable(rate)}`,
		);
		const adaptive = rate.filter((r) => r.sender === 'adaptive');
		if (adaptive.length > 0) {
			const xs = adaptive.map((r) => r.nodeMs / 1000 / (r.items / r.rate));
			const x = median(xs);
			const all = adaptive.every((r) => r.delivered === r.items && !r.failure);
			notes.push(
				`Rate-limit target (100 % delivered, node time ≤ 1.25× the ideal N / R): ${all && x <= 1.25 ? '**met**' : '**missed**'}: ` +
					`${adaptive.map((r) => `${fmt((r.delivered / r.items) * 100, 1)} %`).join(' / ')} delivered, ` +
					`${fmt(x, 2)}× the ideal (median; per round ${xs.map((v) => fmt(v, 2)).join(' / ')}).`,
			);
		}
	}

	if (receivers && (receivers.batchRuns.length > 0 || receivers.flowRuns.length > 0)) {
		const rx = receiversMarkdown(receivers, DEFAULT_VERSION);
		sections.push(
			`### 5. Receivers as they are\n\nLoopback receivers that behave like real CRMs (bench/receivers.ts). Part 1, one ` +
				`execution each: Webhook → Code node (makes the items) → sender → a Code node per output counting what came ` +
				`out; our node with On Error "Continue (using error output)" and only the options a scenario names (else ` +
				`its defaults), n8n's HTTP Request node with its defaults (Timeout 300 s unless named) and On Error ` +
				`"Continue". "delivered" = contacts the receiver answered 2xx; "out ok / failed" = items out of the node ` +
				`(our failed items are delivery records Redeliver can send again); "wall" = the execution's startedAt → ` +
				`stoppedAt; "node" = the sender's executionTime; requests = what the receiver got (429/5xx answers in ` +
				`brackets); peak in flight = the most requests the receiver held at once. A run that outlasts its cap is ` +
				`stopped. Part 2, the real-time flow: ${receivers.flowRuns[0]?.events ?? 0} one-item executions, our trigger → ` +
				`our node, posted over ${receivers.connections} connections; every execution read back (delivered / failed ` +
				`and replayable / lost).\n\n${rx.md}`,
		);
		notes.push(...rx.notes);
	}

	const load1 = os.loadavg();
	const busy1 = busyProcesses();
	const machineMd = [
		`- Date: ${started.toISOString()} (took ${fmt((Date.now() - started.getTime()) / 1000)} s)`,
		`- Machine: ${m.nproc} CPUs, ${m.cpu}, ${m.memGb.toFixed(1)} GB RAM, ${m.os}`,
		`- Node ${m.node} (benchmark, core), n8n ${DEFAULT_VERSION} on Node ${installRecord(DEFAULT_VERSION)?.node ?? m.node} (SQLite, regular execution mode, task runner for the Code node), autocannon 9${Object.keys(n8nEnv).length ? `; n8n settings: ${Object.entries(n8nEnv).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`,
		`- Load average at start ${load0.map((x) => x.toFixed(2)).join(' / ')}, at end ${load1.map((x) => x.toFixed(2)).join(' / ')}` +
			(busy0.length || busy1.length
				? `; other busy processes seen: ${[...new Set([...busy0, ...busy1])].join('; ')}`
				: '; no other busy process seen at start or end'),
	].join('\n');
	const body = `${sections.join('\n\n')}\n\n### Targets\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
	console.log(`\n${machineMd}\n\n${body}`);

	if (!quick) {
		const out = path.resolve(ROOT, process.env.BENCH_OUT || 'BENCHMARKS.md');
		const doc =
			`# Benchmarks\n\nMeasured by \`npm run bench\` (\`bench/run.ts\`), side by side in one run on the real n8n from the ` +
			`e2e harness. Not part of the test pass/fail. Numbers are from a small shared machine; compare the ratios, ` +
			`not the absolute values.\n\n${machineMd}\n\n${body}`;
		// the hand-written part (profile findings, history) survives a new run
		const previous = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
		const kept = previous.indexOf(HAND_WRITTEN);
		fs.writeFileSync(out, kept >= 0 ? `${doc}\n${previous.slice(kept)}` : doc);
		log(`wrote ${path.relative(process.cwd(), out)}`);
	}
}

main().then(
	() => process.exit(0),
	(e) => {
		console.error(e);
		process.exit(1);
	},
);
