/**
 * Outbound delivery in one real n8n: N items from one execution (Webhook → Code node that makes the items → sender)
 * to the same loopback receiver, our KlickTipp Outbound node (default concurrency) vs n8n's HTTP Request node with
 * its defaults and with its batching option. Same items, same JSON parameters (email, 3 mapped fields with a
 * default value, 2 static values). Measures the sending node's own time (runData executionTime), the execution's
 * wall time (startedAt → stoppedAt), deliveries/s at the receiver (first → last request) and the n8n main
 * process's peak RSS (VmRSS sampled every 50 ms) above its RSS just before the run.
 */
import { randomUUID } from 'node:crypto';

import { sleep, type SingleInstance, type WorkflowNode } from '../test/e2e/harness';
import { Receiver } from '../test/e2e/receiver';
import { rssMb, waitIdle } from './proc';
import { SENDER, deliveryWorkflow, httpRequestNode, klickTippSender } from './workflow';

export interface OutboundRun {
	label: string;
	items: number;
	delivered: number;
	nodeMs: number;
	wallMs: number;
	deliveriesPerSec: number;
	rssBeforeMb: number;
	rssPeakMb: number;
	/** Set when the run did not complete (e.g. n8n crashed); the numbers are then meaningless. */
	failure?: string;
}

/** Requests the receiver got in the last run (also when it failed). */
let lastDelivered = 0;

function senderNode(kind: 'ours' | 'httpDefaults' | 'httpBatching', url: string): WorkflowNode {
	if (kind === 'ours') {
		return klickTippSender(
			url,
			[
				['={{ $json.contact.id }}', 'contact_id'],
				['={{ $json.contact.firstName }}', 'first_name'],
				['={{ $json.contact.fields.fieldCompany }}', 'company', 'n/a'],
			],
			{ staticValues: [['list', 'newsletter'], ['source', 'klicktipp']], onError: null },
		);
	}
	return httpRequestNode(
		url,
		[
			{ name: 'email', value: '={{ $json.contact.email }}' },
			{ name: 'contact_id', value: '={{ $json.contact.id }}' },
			{ name: 'first_name', value: '={{ $json.contact.firstName }}' },
			{ name: 'company', value: "={{ $json.contact.fields.fieldCompany || 'n/a' }}" },
			{ name: 'list', value: 'newsletter' },
			{ name: 'source', value: 'klicktipp' },
		],
		kind === 'httpBatching' ? { batching: { batchSize: 50, batchInterval: 0 } } : {},
	);
}

/**
 * Retries a REST call that failed at the socket level ("fetch failed": while n8n's event loop is busy saving a large
 * execution, a reused keep-alive connection can be reset); HTTP errors and timeouts are not retried.
 */
async function retryFetch<T>(deadline: number, fn: () => Promise<T>): Promise<T> {
	for (;;) {
		try {
			return await fn();
		} catch (error) {
			if (!/fetch failed/.test(String((error as Error).message)) || Date.now() > deadline) throw error;
			await sleep(1000);
		}
	}
}

export async function runOutboundOne(
	inst: SingleInstance,
	receiver: Receiver,
	kind: 'ours' | 'httpDefaults' | 'httpBatching',
	label: string,
	items: number,
	timeoutMs: number,
): Promise<OutboundRun> {
	const tag = `${kind}-${items}-${randomUUID().slice(0, 8)}`;
	const recvPath = `/${tag}`;
	const hookPath = `bench-out-${tag}`;
	const wfId = await inst.api.createAndActivate(deliveryWorkflow(`bench outbound: ${label}`, hookPath, items, senderNode(kind, receiver.url + recvPath)));
	await inst.api.waitForWebhook(inst.webhookBase, hookPath);
	const pid = inst.n8n.child.pid!;
	await waitIdle(pid);
	await sleep(500);
	const rssBefore = rssMb(pid);
	let peak = rssBefore;
	const sampler = setInterval(() => {
		peak = Math.max(peak, rssMb(pid));
	}, 50);
	try {
		const res = await fetch(inst.webhookUrl(hookPath), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
		if (!res.ok) throw new Error(`starting ${label}: ${res.status} ${await res.text()}`);
		const deadline = Date.now() + timeoutMs;
		const [exec] = await retryFetch(deadline, () =>
			inst.api.waitForExecutions(wfId, 1, { timeoutMs: Math.max(1000, deadline - Date.now()), settleMs: 0, includeData: false }),
		);
		peak = Math.max(peak, rssMb(pid));
		clearInterval(sampler);
		const full = await retryFetch(Date.now() + 60_000, () => inst.api.execution(exec.id));
		if (full.status !== 'success') {
			throw new Error(`${label}: execution ${exec.id} ended ${full.status}: ${JSON.stringify(full.data?.resultData.error ?? {}).slice(0, 400)}`);
		}
		const runs = (full.data?.resultData.runData[SENDER] ?? []) as Array<{ executionTime?: number }>;
		const nodeMs = runs.reduce((s, r) => s + (r.executionTime ?? 0), 0);
		const got = receiver.at(recvPath);
		const spanMs = got.length > 1 ? got[got.length - 1].at - got[0].at : 0;
		return {
			label,
			items,
			delivered: got.length,
			nodeMs,
			wallMs: new Date(full.stoppedAt!).getTime() - new Date(full.startedAt).getTime(),
			deliveriesPerSec: spanMs > 0 ? (got.length / spanMs) * 1000 : NaN,
			rssBeforeMb: rssBefore,
			rssPeakMb: peak,
		};
	} finally {
		clearInterval(sampler);
		await inst.api.deactivate(wfId).catch(() => undefined);
		lastDelivered = receiver.at(recvPath).length;
		// free the receiver's copy of the requests
		for (let i = receiver.requests.length - 1; i >= 0; i--) if (receiver.requests[i].path === recvPath) receiver.requests.splice(i, 1);
	}
}

export async function runOutbound(
	start: () => Promise<SingleInstance>,
	opts: { items: number; smallItems: number; timeoutMs: number },
	log: (s: string) => void,
): Promise<OutboundRun[]> {
	const receiver = await new Receiver().start();
	const out: OutboundRun[] = [];
	let inst: SingleInstance | undefined;
	try {
		const plan: Array<[kind: 'ours' | 'httpDefaults' | 'httpBatching', label: string, items: number]> = [
			['ours', `KlickTipp Outbound (${opts.smallItems} items, memory reference)`, opts.smallItems],
			['ours', 'KlickTipp Outbound (default concurrency)', opts.items],
			['httpBatching', 'HTTP Request 4.2 (batching 50 / 0 ms)', opts.items],
			['httpDefaults', 'HTTP Request 4.2 (defaults)', opts.items],
		];
		for (const [kind, label, items] of plan) {
			if (!inst || inst.n8n.hasExited) {
				if (inst) await inst.stop().catch(() => undefined);
				inst = await start();
			}
			try {
				const r = await runOutboundOne(inst, receiver, kind, label, items, opts.timeoutMs);
				log(
					`  ${label}: ${r.delivered}/${r.items} delivered, node ${r.nodeMs} ms, wall ${r.wallMs} ms, ` +
						`${r.deliveriesPerSec.toFixed(0)}/s, RSS ${r.rssBeforeMb.toFixed(0)} → peak ${r.rssPeakMb.toFixed(0)} MB`,
				);
				out.push(r);
			} catch (error) {
				await sleep(2000);
				const crashed = inst.n8n.hasExited;
				const logLine = inst.n8n
					.logTail(200)
					.split('\n')
					.filter((l) => /heap|memory|EMFILE|ECONN|error|killed|fatal/i.test(l))
					.slice(-3)
					.join(' | ')
					.slice(0, 400);
				const failure = `${crashed ? 'n8n crashed' : 'failed'}: ${String((error as Error).message).slice(0, 200)}${logLine ? ` — n8n log: ${logLine}` : ''}`;
				log(`  ${label}: ${failure}`);
				out.push({
					label,
					items,
					delivered: lastDelivered,
					nodeMs: NaN,
					wallMs: NaN,
					deliveriesPerSec: NaN,
					rssBeforeMb: NaN,
					rssPeakMb: NaN,
					failure,
				});
				if (!crashed) {
					await inst.stop().catch(() => undefined);
					inst = undefined;
				}
			}
		}
	} finally {
		await receiver.stop();
		await inst?.stop().catch(() => undefined);
	}
	return out;
}
