/**
 * Delivery to a rate-limited receiver in one real n8n (issue 9): N items from one execution (Webhook → Code node →
 * sender) to a loopback receiver that allows R requests/s (token bucket of R, refilled at R/s, so it starts full),
 * answers every request after 20 ms, and answers 429 + Retry-After (whole seconds) beyond the rate — the receiver
 * of test/helpers/receiver.ts (`tokenBucket`), a fresh one per sender. Senders: our node with Adaptive Pacing (the
 * default), our node with fixed concurrency (Adaptive Pacing off: each item retries on its own clock), n8n's HTTP
 * Request node with its defaults, and with batching set to match R (R items per 1,000 ms).
 *
 * Counted at the receiver: delivered = items it accepted (200), each at most once; failed = the rest. "Time" is
 * the sender node's executionTime from n8n's run data; the ideal is N / R seconds.
 */
import { randomUUID } from 'node:crypto';

import { sleep, type SingleInstance, type WorkflowNode } from '../test/e2e/harness';
import { startReceiver, tokenBucket } from '../test/helpers/receiver';
import { api, waitIdle } from './proc';
import { SENDER, deliveryWorkflow, httpRequestNode, klickTippSender } from './workflow';

export type RateSender = 'adaptive' | 'fixed' | 'httpDefaults' | 'httpBatching';

export interface RateRun {
	sender: RateSender;
	round: number;
	label: string;
	items: number;
	rate: number;
	delivered: number;
	failed: number;
	/** Items accepted more than once (duplicates); should be 0. */
	duplicates: number;
	requests: number;
	throttled: number;
	/** The sender node's executionTime (ms). */
	nodeMs: number;
	/** n8n's verdict on the execution. */
	executionStatus: string;
	/** Items on our node's main / error output (from n8n's run data), when it has them. */
	outputs?: { main: number; error: number };
	failure?: string;
}

function senderNode(sender: RateSender, url: string, rate: number): WorkflowNode {
	if (sender === 'adaptive' || sender === 'fixed') {
		return klickTippSender(
			url,
			[
				['={{ $json.id }}', 'id'],
				['={{ $json.contact.firstName }}', 'first_name'],
			],
			{ options: { adaptivePacing: sender === 'adaptive' } },
		);
	}
	return httpRequestNode(
		url,
		[
			{ name: 'id', value: '={{ $json.id }}' },
			{ name: 'email', value: '={{ $json.contact.email }}' },
			{ name: 'first_name', value: '={{ $json.contact.firstName }}' },
		],
		sender === 'httpBatching' ? { batching: { batchSize: rate, batchInterval: 1000 } } : {},
	);
}

export const RATE_LABELS: Record<RateSender, (rate: number) => string> = {
	adaptive: () => 'KlickTipp Outbound, Adaptive Pacing (default), concurrency 16',
	fixed: () => 'KlickTipp Outbound, fixed concurrency 16 (Adaptive Pacing off)',
	httpDefaults: () => 'HTTP Request 4.2 (defaults)',
	httpBatching: (rate) => `HTTP Request 4.2 (batching ${rate} items / 1,000 ms)`,
};


async function runOne(inst: SingleInstance, sender: RateSender, items: number, rate: number, timeoutMs: number, round: number): Promise<RateRun> {
	const bucket = tokenBucket({ rate, latencyMs: 20 });
	const rx = await startReceiver(bucket.script);
	const tag = `${sender}-${randomUUID().slice(0, 8)}`;
	const hookPath = `bench-rate-${tag}`;
	const label = RATE_LABELS[sender](rate);
	const base = { sender, round, label, items, rate, duplicates: 0, requests: 0, throttled: 0, delivered: 0, failed: items, nodeMs: NaN, executionStatus: 'n/a' };
	let wfId: string | undefined;
	try {
		wfId = await api(async () => await inst.api.createAndActivate(deliveryWorkflow(`bench rate limit: ${label}`, hookPath, items, senderNode(sender, `${rx.url}/hook`, rate))));
		await inst.api.waitForWebhook(inst.webhookBase, hookPath);
		await waitIdle(inst.n8n.child.pid!);
		await sleep(500);
		const res = await fetch(inst.webhookUrl(hookPath), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
		if (!res.ok) throw new Error(`starting ${label}: ${res.status} ${await res.text()}`);
		const deadline = Date.now() + timeoutMs;
		const [exec] = await api(
			async () => await inst.api.waitForExecutions(wfId!, 1, { timeoutMs: Math.max(1000, deadline - Date.now()), settleMs: 0, includeData: false }),
		);
		const full = await api(async () => await inst.api.execution(exec.id));
		const run = (full.data?.resultData.runData[SENDER] ?? [])[0] as
			| { executionTime?: number; data?: { main?: Array<unknown[] | null> } }
			| undefined;
		const main = run?.data?.main;
		const counts = [...bucket.stats.acceptedByKey.values()];
		const delivered = counts.length;
		return {
			...base,
			delivered,
			failed: items - delivered,
			duplicates: counts.filter((n) => n > 1).length,
			requests: rx.requests.length,
			throttled: bucket.stats.throttled,
			nodeMs: run?.executionTime ?? NaN,
			executionStatus: full.status,
			outputs: sender === 'adaptive' || sender === 'fixed' ? { main: main?.[0]?.length ?? 0, error: main?.[1]?.length ?? 0 } : undefined,
		};
	} catch (error) {
		const delivered = bucket.stats.acceptedByKey.size;
		return {
			...base,
			delivered,
			failed: items - delivered,
			requests: rx.requests.length,
			throttled: bucket.stats.throttled,
			failure: String((error as Error).message).slice(0, 300),
		};
	} finally {
		if (wfId) await api(async () => await inst.api.deactivate(wfId!)).catch(() => undefined);
		await rx.close();
	}
}

/**
 * A warm-up run (our node, 1,000 items, a receiver without limit, not reported: the first execution in a fresh n8n
 * is markedly slower), then `rounds` alternating rounds of our two modes, then the HTTP Request node's two setups.
 */
export async function runRateLimit(
	start: () => Promise<SingleInstance>,
	opts: { items: number; rate: number; timeoutMs: number; rounds: number },
	log: (s: string) => void,
): Promise<RateRun[]> {
	const out: RateRun[] = [];
	let inst: SingleInstance | undefined;
	const plan: Array<[RateSender, number]> = [];
	for (let round = 1; round <= opts.rounds; round++) {
		const pair: RateSender[] = round % 2 === 1 ? ['adaptive', 'fixed'] : ['fixed', 'adaptive'];
		for (const sender of pair) plan.push([sender, round]);
	}
	plan.push(['httpBatching', 1], ['httpDefaults', 1]);
	try {
		inst = await start();
		const warm = await runOne(inst, 'adaptive', 1000, 1_000_000, opts.timeoutMs, 0);
		log(`  warm-up: ${warm.delivered}/1000 delivered, node ${warm.nodeMs} ms${warm.failure ? `, ${warm.failure}` : ''}`);
		for (const [sender, round] of plan) {
			if (!inst || inst.n8n.hasExited) {
				if (inst) await inst.stop().catch(() => undefined);
				inst = await start();
			}
			const r = await runOne(inst, sender, opts.items, opts.rate, opts.timeoutMs, round);
			log(
				`  ${r.label} (round ${round}): ${r.delivered}/${r.items} delivered, ${r.failed} failed, ${r.throttled} × 429 of ${r.requests} requests, ` +
					`node ${r.nodeMs} ms (ideal ${(r.items / r.rate) * 1000} ms), execution ${r.executionStatus}` +
					(r.outputs ? `, outputs main ${r.outputs.main} / error ${r.outputs.error}` : '') +
					(r.failure ? `, ${r.failure}` : ''),
			);
			out.push(r);
		}
	} finally {
		await inst?.stop().catch(() => undefined);
	}
	return out;
}
