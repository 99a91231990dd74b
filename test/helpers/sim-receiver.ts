/**
 * Receivers as they are, on the virtual clock: each request's answer is decided by a behaviour (healthy, hanging,
 * down, always 503, flapping, restarting, capped at N in flight, rate-limited), and the receiver counts what it got
 * (requests, peak in flight, statuses). `runOn` delivers a run of items through the real hub (`deliverRun`: hosts,
 * breaker, window, retries) with the node's options, so the tests see what the node does, minus n8n.
 */
import { authorize, replayRequest } from '../../nodes/core/outbound/auth';
import type { DeliveryDeps, DeliveryResult, WireRequest, WireResponse } from '../../nodes/core/outbound/deliver';
import { encodeRequest } from '../../nodes/core/outbound/encoding';
import { deliverRun } from '../../nodes/core/outbound/handle';
import type { HostRegistry } from '../../nodes/core/outbound/host';
import { parseOptions } from '../../nodes/core/outbound/setup';
import { prng } from '../reliability/helpers';
import type { VirtualClock } from './virtual-clock';

export type Answer = { status: number; headers?: Record<string, string>; latencyMs: number } | { hang: true } | { refused: true };

/** Decides the answer to the n-th request (0-based) arriving at `at` with `inFlight` requests in flight (itself included). */
export type Behaviour = (request: { n: number; at: number; inFlight: number }) => Answer;


export const behaviours = {
	healthy: (latencyMs: number): Behaviour => () => ({ status: 200, latencyMs }),
	hanging: (): Behaviour => () => ({ hang: true }),
	down: (): Behaviour => () => ({ refused: true }),
	always503: (): Behaviour => () => ({ status: 503, latencyMs: 5 }),
	flapping: (random: () => number, latencyMs = 20): Behaviour => () => ({ status: random() < 0.5 ? 503 : 200, latencyMs }),
	/** Down (503) until `until`, then healthy. */
	restarting: (until: number, latencyMs = 20): Behaviour => ({ at }) => (at < until ? { status: 503, latencyMs: 2 } : { status: 200, latencyMs }),
	/**
	 * A small CRM that never says no: `workers` requests are served at once in `serviceMs` each, the others wait their
	 * turn (a request that finds k in flight, itself included, answers after ceil(k / workers) service times).
	 */
	queueing: (workers: number, serviceMs: number): Behaviour => ({ inFlight }) => ({ status: 200, latencyMs: serviceMs * Math.ceil(inFlight / workers) }),
	/** 503 without Retry-After once more than `n` are in flight, else 200 after `latencyMs` ± 20 % (as real ones vary). */
	capped: (n: number, latencyMs: number, random = prng(5)): Behaviour => ({ inFlight }) =>
		inFlight > n ? { status: 503, latencyMs: 1 } : { status: 200, latencyMs: latencyMs * (0.8 + 0.4 * random()) },
};

export interface ReceiverStats {
	requests: number;
	peakInFlight: number;
	byStatus: Record<string, number>;
}

/** A simulated receiver: its `send` is DeliveryDeps.send. */
export function simReceiver(clock: VirtualClock, behaviour: Behaviour) {
	let inFlight = 0;
	const stats: ReceiverStats = { requests: 0, peakInFlight: 0, byStatus: {} };
	const count = (key: string) => (stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1);
	const send = async (req: WireRequest): Promise<WireResponse> => {
		const n = stats.requests++;
		inFlight++;
		stats.peakInFlight = Math.max(stats.peakInFlight, inFlight);
		const answer = behaviour({ n, at: clock.now(), inFlight });
		try {
			if ('hang' in answer) {
				count('timeout');
				await clock.sleep(req.timeoutMs);
				throw Object.assign(new Error(`timeout of ${req.timeoutMs}ms exceeded`), { code: 'ECONNABORTED' });
			}
			if ('refused' in answer) {
				count('refused');
				await clock.sleep(1);
				throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' });
			}
			count(String(answer.status));
			await clock.sleep(answer.latencyMs);
			return { statusCode: answer.status, headers: answer.headers ?? {}, body: '' };
		} finally {
			inFlight--;
		}
	};
	return { send, stats };
}

export interface RunOptions {
	items: number;
	/** The node's options (as n8n hands them). */
	options?: Record<string, unknown>;
	/** Distinct hosts: item i goes to host i % hosts. */
	url?: (i: number) => string;
	random?: () => number;
	staticData?: Record<string, unknown>;
}

/** One run (one execution) of `items` items through the hub, on the receiver's `send`. */
export async function runOn(
	clock: VirtualClock,
	hosts: HostRegistry,
	send: DeliveryDeps['send'],
	{ items, options = {}, url = (i) => `https://crm.example.com/hook?id=${i}`, random = prng(7), staticData }: RunOptions,
): Promise<DeliveryResult[]> {
	const setup = { authentication: 'none' as const, credential: undefined, secrets: [], options: parseOptions(options) };
	const requests = Array.from({ length: items }, (_, i) => ({
		request: authorize(replayRequest(encodeRequest('POST', 'json', url(i), [['id', String(i)]]), {}, `msg_${i}`, 'none'), undefined),
		webhookId: `msg_${i}`,
	}));
	const deps: DeliveryDeps = {
		send,
		sleep: clock.sleep,
		random,
		now: clock.now,
		checkTarget: async () => ({ ok: true, addresses: [] }),
		hosts,
	};
	const results = await deliverRun(setup, requests, deps, staticData ? () => staticData : undefined);
	return results as DeliveryResult[];
}

/** How a run ended: delivered, parked (failed, replayable), failed otherwise. */
export function tally(results: ReadonlyArray<DeliveryResult>) {
	return {
		delivered: results.filter((r) => r.status === 'delivered').length,
		parked: results.filter((r) => r.status === 'failed' && r.parked).length,
		failed: results.filter((r) => r.status === 'failed' && !r.parked).length,
	};
}
