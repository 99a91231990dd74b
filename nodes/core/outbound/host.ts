/**
 * What we know about a receiver host, in one place, shared by every execution in the n8n process: the window of
 * requests in flight (a `Limit`, limit.ts), the pause a 429/503 with Retry-After asks for, and the circuit breaker.
 * One `HostRegistry` per process (the node's shell holds it), keyed by host and port, bounded in size, forgetting
 * idle hosts. Every request of Send, Send Test and Redeliver asks its host for a slot (`acquire`) and reports how it
 * ended (`release`).
 *
 * Window: a request goes when fewer than min(window, its node's Concurrency) requests are in flight to the host,
 * counted across all executions. Waiting costs nothing: no slot is held while an item sleeps or waits.
 *
 * Pause: a 429, or a 503 with Retry-After, pauses every request to the host until then (at most Max Retry-After);
 * the first such answer of a burst starts the pause, later ones only lengthen it.
 *
 * Circuit breaker (after Convoy's; see docs/outbound.md "Retries and pacing"): consecutive failures with no success
 * in between (network errors, timeouts, 5xx and 408; not 429, which pacing handles, nor other 4xx, the request's
 * own fault), of at least 3 different items, open the circuit at `breakerThreshold` (10, or fewer when Concurrency
 * is lower): one item failing again and again is its own failure, not an outage. While open no new
 * request goes: after a cool-down (1 s, doubling after each failed probe, at most a fifth of the outage budget, or
 * 30 s once the budget is spent) one probe is let through; any success closes the circuit and everything waiting goes at once. Once the circuit has
 * been open for the node's Outage Budget, waiting requests are parked (the item leaves the node failed and
 * replayable, see deliver.ts) instead of waiting, except while a probe is on its way (its answer decides).
 *
 * Clock and timer are injected, so tests run on a virtual clock. No n8n imports.
 */
import type { Limit, LimitAlgorithm } from './limit';
import { createLimit } from './limit';

export interface HostClock {
	now: () => number;
	sleep: (ms: number) => Promise<void>;
}

/** What one request brings from its node's options. */
export interface HostPolicy {
	/** The node's Concurrency: this request never goes while this many are in flight to the host. */
	ceiling: number;
	/** Adaptive Pacing: the window learns; off = the window is the ceiling. */
	adaptive: boolean;
	/** Upper bound of one pause (ms), the node's Max Retry-After. */
	maxPauseMs: number;
	/** The node's Outage Budget (ms): how long an open circuit is waited out before parking; 0 = no breaker. */
	outageBudgetMs: number;
}

/** How a request ended, as the host needs it. */
export type HostOutcome =
	/** 2xx. */
	| { kind: 'success' }
	/** An answer that is no outage and no congestion: 3xx, 4xx other than 408 and 429. */
	| { kind: 'answered' }
	/** 429, or 503 with Retry-After: slow down (pacing), the host is up. */
	| { kind: 'throttled'; pauseMs?: number }
	/** 503 without Retry-After: congestion and a failure. */
	| { kind: 'unavailable'; reason: string }
	/** No answer in time. */
	| { kind: 'timeout'; reason: string }
	/** Network error, other 5xx, 408. */
	| { kind: 'failure'; reason: string };

export interface HostTicket {
	readonly seq: number;
	readonly sentAt: number;
	/** Requests in flight when this one went, itself included. */
	readonly inFlight: number;
	/** This request is the probe of an open circuit. */
	readonly probe: boolean;
	readonly policy: HostPolicy;
	/** The item (delivery) it belongs to: its retries share it. */
	readonly item: object;
}

export type HostGrant =
	| { kind: 'go'; ticket: HostTicket }
	/** Not sent: the circuit has been open for the outage budget. `retryAt`: when the host will be probed again. */
	| { kind: 'parked'; reason: string; retryAt: number };

/** What the node remembers of an open circuit between executions (workflow static data). */
export interface CircuitMemory {
	openedAt: number;
	failures: number;
	lastFailure: string;
	/** When this was written. */
	at: number;
}

/** Consecutive failures that open the circuit: Convoy's 10, fewer when at most `ceiling` requests are in flight. */
export function breakerThreshold(policy: HostPolicy): number {
	return Math.min(10, Math.max(3, policy.ceiling));
}

/**
 * Distinct items among those failures: one item failing again and again (a 503 for that one record) is its own
 * failure, not the host's outage, and must not keep its own row from ever going dead in Redeliver.
 */
export const BREAKER_DISTINCT_ITEMS = 3;

/**
 * The wait before the next probe after `failedProbes` failed probes: 1 s doubling; within the outage budget at most
 * a fifth of it (1–30 s), so a receiver that restarts within the budget is found in time; past the budget, when
 * everything waiting has been parked, up to 30 s (a receiver that stays down gets a probe now and then, no more).
 */
export function coolDownMs(failedProbes: number, policy: HostPolicy, pastBudget = false): number {
	const cap = pastBudget ? 30_000 : Math.min(30_000, Math.max(1_000, policy.outageBudgetMs / 5));
	return Math.min(cap, 1_000 * 2 ** Math.min(failedProbes, 20));
}

interface Waiter {
	policy: HostPolicy;
	item: object;
	resolve: (grant: HostGrant) => void;
}

/** One receiver host. */
export class Host {
	private readonly window: Limit;
	private inFlight = 0;
	private pausedUntil = 0;
	private nextSeq = 0;
	/** Requests with a seq below this were in flight at the last decrease (a burst of drops counts once). */
	private decreaseFence = 0;
	private pauseFence = 0;
	private pauseStart = 0;
	/** Requests waiting for a slot, in order, from `head` on (granted ones are skipped, not spliced: a run of thousands stays linear). */
	private waiting: Waiter[] = [];
	private head = 0;
	private timerUntil = 0;
	// The circuit breaker.
	private failures = 0;
	/** The items among the consecutive failures (counted up to BREAKER_DISTINCT_ITEMS). */
	private failingItems = new Set<object>();
	private lastFailure = '';
	/** When the circuit opened; 0 = closed. */
	private openedAt = 0;
	private failedProbes = 0;
	private probeAt = 0;
	private probing = false;
	/** Every success and failure the host has had (they only grow), to tell a flapping host from an item's own failure. */
	private successTotal = 0;
	private failureTotal = 0;
	/** When a request last asked or answered (epoch ms; 0 = never). */
	private lastUse = 0;

	constructor(
		private readonly clock: HostClock,
		algorithm: LimitAlgorithm = 'gradient',
	) {
		this.window = createLimit(algorithm);
	}

	get requestsInFlight(): number {
		return this.inFlight;
	}

	/** Epoch ms until which the host is paused (0 or past when not paused). */
	get pauseUntil(): number {
		return this.pausedUntil;
	}

	get circuitOpen(): boolean {
		return this.openedAt > 0;
	}

	/** How many requests succeeded and failed so far (counters that only grow). */
	get totals(): { successes: number; failures: number } {
		return { successes: this.successTotal, failures: this.failureTotal };
	}

	/** Nothing in flight or waiting, last used at `lastUsedAt`. */
	get idle(): boolean {
		return this.inFlight === 0 && this.waitingCount === 0;
	}

	private get waitingCount(): number {
		return this.waiting.length - this.head;
	}

	get lastUsedAt(): number {
		return this.lastUse;
	}

	/** Resolves when the request of `item` may go, or when it is parked (see the file's comment). */
	async acquire(policy: HostPolicy, item: object = {}): Promise<HostGrant> {
		this.lastUse = this.clock.now();
		return await new Promise<HostGrant>((resolve) => {
			this.waiting.push({ policy, item, resolve });
			this.pump();
		});
	}

	/** Reports how the request of `ticket` ended and frees its slot. */
	release(ticket: HostTicket, outcome: HostOutcome): void {
		const now = this.clock.now();
		this.lastUse = now;
		this.inFlight = Math.max(0, this.inFlight - 1);
		if (ticket.probe) this.probing = false;
		this.learn(ticket, outcome, now);
		this.pace(ticket, outcome, now);
		this.judge(ticket, outcome, now);
		this.pump();
	}

	/** The open circuit to remember between executions, or undefined when closed. */
	memory(): CircuitMemory | undefined {
		if (!this.circuitOpen) return undefined;
		return { openedAt: this.openedAt, failures: this.failures, lastFailure: this.lastFailure, at: this.clock.now() };
	}

	/**
	 * Takes over what an earlier execution (maybe in another process) remembered: an open circuit, when this process
	 * has not used the host since. The next request is then the probe, and nothing else goes until it answers.
	 */
	recall(memory: CircuitMemory): void {
		if (this.circuitOpen || this.lastUse > memory.at || this.inFlight > 0) return;
		this.openedAt = memory.openedAt;
		this.failures = memory.failures;
		this.failingItems.clear();
		this.lastFailure = memory.lastFailure;
		this.failedProbes = 0;
		this.probeAt = 0;
	}

	/** The window learns from the request (adaptive requests only; a burst of drops counts once). */
	private learn(ticket: HostTicket, outcome: HostOutcome, now: number): void {
		if (!ticket.policy.adaptive || outcome.kind === 'failure') return;
		const dropped = outcome.kind === 'throttled' || outcome.kind === 'unavailable' || outcome.kind === 'timeout';
		if (dropped) {
			if (ticket.seq < this.decreaseFence) return;
			this.decreaseFence = this.nextSeq;
		}
		this.window.update({ rttMs: now - ticket.sentAt, inFlight: ticket.inFlight, dropped, at: now, ceiling: ticket.policy.ceiling });
	}

	private pace(ticket: HostTicket, outcome: HostOutcome, now: number): void {
		if (outcome.kind !== 'throttled' || outcome.pauseMs === undefined || outcome.pauseMs <= 0) return;
		const pauseMs = Math.min(outcome.pauseMs, Math.max(0, ticket.policy.maxPauseMs));
		if (ticket.seq >= this.pauseFence) {
			// The first answer of a burst starts the pause; the others were already on their way and only lengthen it.
			this.pauseStart = now;
			this.pauseFence = this.nextSeq;
		}
		this.pausedUntil = Math.max(this.pausedUntil, this.pauseStart + pauseMs);
	}

	/** The circuit breaker's decision. */
	private judge(ticket: HostTicket, outcome: HostOutcome, now: number): void {
		if (outcome.kind === 'success' || outcome.kind === 'answered' || outcome.kind === 'throttled') {
			if (outcome.kind === 'success') this.successTotal++;
			this.failures = 0;
			this.failingItems.clear();
			this.openedAt = 0;
			this.failedProbes = 0;
			return;
		}
		this.failures++;
		this.failureTotal++;
		if (this.failingItems.size < BREAKER_DISTINCT_ITEMS) this.failingItems.add(ticket.item);
		this.lastFailure = outcome.reason;
		if (ticket.policy.outageBudgetMs <= 0) return;
		if (!this.circuitOpen) {
			const distinct = Math.min(BREAKER_DISTINCT_ITEMS, breakerThreshold(ticket.policy));
			if (this.failures >= breakerThreshold(ticket.policy) && this.failingItems.size >= distinct) {
				this.openedAt = now;
				this.failedProbes = 0;
				this.probeAt = now + coolDownMs(0, ticket.policy);
			}
		} else if (ticket.probe) {
			this.failedProbes++;
			this.probeAt = now + coolDownMs(this.failedProbes, ticket.policy, now - this.openedAt >= ticket.policy.outageBudgetMs);
		}
	}

	private grant(waiter: Waiter, probe: boolean, now: number): void {
		this.inFlight++;
		if (probe) this.probing = true;
		waiter.resolve({ kind: 'go', ticket: { seq: this.nextSeq++, sentAt: now, inFlight: this.inFlight, probe, policy: waiter.policy, item: waiter.item } });
	}

	/** Why a parked request was not sent. */
	private parkReason(): string {
		const last = this.lastFailure ? `, last: ${this.lastFailure}` : '';
		return `Receiver down: circuit open since ${new Date(this.openedAt).toISOString()} after ${this.failures} failures in a row${last}`;
	}

	private pump(): void {
		const now = this.clock.now();
		if (now < this.pausedUntil) {
			// No timer without a waiter: a pause after the last request must not keep the process busy.
			if (this.waitingCount > 0) this.wake(this.pausedUntil);
			return;
		}
		if (this.circuitOpen) {
			this.pumpOpen(now);
			return;
		}
		while (this.head < this.waiting.length) {
			const waiter = this.waiting[this.head];
			const window = waiter.policy.adaptive ? this.window.value : waiter.policy.ceiling;
			if (this.inFlight >= Math.min(window, waiter.policy.ceiling)) break;
			this.grant(waiter, false, now);
			this.head++;
		}
		if (this.head === this.waiting.length) {
			this.waiting = [];
			this.head = 0;
		} else if (this.head >= 1024 && this.head * 2 >= this.waiting.length) {
			this.waiting = this.waiting.slice(this.head);
			this.head = 0;
		}
	}

	/** Open circuit: one probe after the cool-down; past the budget and without a probe on its way, park. */
	private pumpOpen(now: number): void {
		const still: Waiter[] = [];
		let wakeAt = Infinity;
		for (const waiter of this.waiting.slice(this.head)) {
			const budget = waiter.policy.outageBudgetMs;
			if (budget <= 0) {
				// This node has no breaker: it goes within its ceiling as if the circuit were closed.
				if (this.inFlight < waiter.policy.ceiling) this.grant(waiter, false, now);
				else still.push(waiter);
			} else if (!this.probing && now >= this.probeAt) {
				this.grant(waiter, true, now);
			} else if (!this.probing && now - this.openedAt >= budget) {
				waiter.resolve({ kind: 'parked', reason: this.parkReason(), retryAt: this.probeAt });
			} else {
				still.push(waiter);
				if (!this.probing) wakeAt = Math.min(wakeAt, this.probeAt, this.openedAt + budget);
			}
		}
		this.waiting = still;
		this.head = 0;
		if (still.length > 0 && Number.isFinite(wakeAt)) this.wake(wakeAt);
	}

	/** One timer per host, for the next moment something can change without an answer (pause end, probe, budget). */
	private wake(at: number): void {
		if (this.timerUntil !== 0 && this.timerUntil <= at) return;
		this.timerUntil = at;
		void this.clock.sleep(Math.max(0, at - this.clock.now())).then(() => {
			if (this.timerUntil === at) this.timerUntil = 0;
			this.pump();
		});
	}
}

/** The host of a URL (name and port, lower-cased); '' for a URL that does not parse. */
export function hostKey(url: string): string {
	try {
		return new URL(url).host.toLowerCase();
	} catch {
		return '';
	}
}

export interface RegistryOptions {
	algorithm?: LimitAlgorithm;
	/** Hosts kept at most; idle ones are forgotten first. */
	maxHosts?: number;
	/** A host idle this long is forgotten. */
	idleMs?: number;
}

/** Every receiver host the process talks to (one registry per n8n process). */
export class HostRegistry {
	private readonly hosts = new Map<string, Host>();
	private readonly algorithm: LimitAlgorithm;
	private readonly maxHosts: number;
	private readonly idleMs: number;
	private sweptAt = 0;

	constructor(
		private readonly clock: HostClock,
		{ algorithm = 'gradient', maxHosts = 1000, idleMs = 15 * 60_000 }: RegistryOptions = {},
	) {
		this.algorithm = algorithm;
		this.maxHosts = maxHosts;
		this.idleMs = idleMs;
	}

	get size(): number {
		return this.hosts.size;
	}

	/** The host of `url`. */
	host(url: string): Host {
		return this.byKey(hostKey(url));
	}

	/** The host of a key as `hostKey` makes it. */
	byKey(key: string): Host {
		let host = this.hosts.get(key);
		if (!host) {
			this.sweep();
			host = new Host(this.clock, this.algorithm);
			this.hosts.set(key, host);
		}
		return host;
	}

	/** Forgets idle hosts: those idle for `idleMs` (at most once a minute), and the least recently used when full. */
	private sweep(): void {
		const now = this.clock.now();
		if (now - this.sweptAt >= 60_000 || this.hosts.size >= this.maxHosts) {
			this.sweptAt = now;
			for (const [key, host] of this.hosts) if (host.idle && now - host.lastUsedAt >= this.idleMs) this.hosts.delete(key);
		}
		if (this.hosts.size < this.maxHosts) return;
		const idle = [...this.hosts].filter(([, h]) => h.idle).sort((a, b) => a[1].lastUsedAt - b[1].lastUsedAt);
		for (const [key] of idle.slice(0, this.hosts.size - this.maxHosts + 1)) this.hosts.delete(key);
	}
}

/** The node's static-data key for the open circuits it remembers. */
export const CIRCUITS_KEY = 'openCircuits';
/** Circuits remembered per node at most, and for how long after they were written. */
export const MAX_REMEMBERED_CIRCUITS = 50;
export const CIRCUIT_MEMORY_MS = 3_600_000;

type CircuitStore = Record<string, CircuitMemory>;

function storeOf(value: unknown): CircuitStore {
	return value && typeof value === 'object' && !Array.isArray(value) ? (value as CircuitStore) : {};
}

/** Before a run: the hosts of `urls` take over the open circuits the node remembered (fresh ones only). */
export function recallCircuits(registry: HostRegistry, stored: unknown, urls: Iterable<string>, nowMs: number): void {
	const store = storeOf(stored);
	for (const key of new Set([...urls].map(hostKey))) {
		const memory = store[key];
		if (memory && typeof memory.openedAt === 'number' && typeof memory.at === 'number' && nowMs - memory.at < CIRCUIT_MEMORY_MS) {
			registry.byKey(key).recall(memory);
		}
	}
}

/**
 * After a run: the node's remembered circuits, updated for the hosts of `urls` (open ones kept, closed ones
 * dropped), stale entries dropped, at most MAX_REMEMBERED_CIRCUITS (the newest). Returns undefined when nothing is left.
 */
export function rememberCircuits(registry: HostRegistry, stored: unknown, urls: Iterable<string>, nowMs: number): CircuitStore | undefined {
	const store: CircuitStore = { ...storeOf(stored) };
	for (const key of new Set([...urls].map(hostKey))) {
		const memory = registry.byKey(key).memory();
		if (memory) store[key] = memory;
		else delete store[key];
	}
	const kept = Object.entries(store)
		.filter(([, m]) => m && typeof m.at === 'number' && nowMs - m.at < CIRCUIT_MEMORY_MS)
		.sort((a, b) => b[1].at - a[1].at)
		.slice(0, MAX_REMEMBERED_CIRCUITS);
	return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}
