/**
 * Pacing that respects the receiver: one pacer per target host and execution.
 *
 * - A 429 or 503 with Retry-After pauses every request to that host until then (not only the item that got it).
 *   The pause of a burst starts at its first 429; the other answers of requests already in flight then lengthen
 *   it only when they ask for longer (the item that got such an answer still waits its own Retry-After).
 * - The number of requests in flight to the host adapts, AIMD style: +1/window per success (about +1 per round
 *   trip), halved on 429, 503 or a timeout, kept between 1 and the configured maximum. A burst of congestion
 *   answers counts once: only a request sent after the last decrease can decrease again.
 * - Waiting requests are let through first come, first served, so earlier items go first.
 *
 * The clock and the timer are injected (`now`, `sleep`), so tests run on a virtual clock. No n8n imports.
 */

export interface PacerClock {
	now: () => number;
	sleep: (ms: number) => Promise<void>;
}

export interface PacerOptions {
	/** Upper bound of requests in flight to one host (the node's Concurrency option). */
	maxConcurrency: number;
	/** Upper bound of one pause in ms (the node's "Max Retry-After" option). */
	maxPauseMs: number;
}

/** How a request ended, as the pacer needs it. */
export type PaceOutcome =
	| { kind: 'success' }
	/** 429 or 503; `pauseMs` is the parsed Retry-After, if the receiver sent one. */
	| { kind: 'throttled'; pauseMs?: number }
	| { kind: 'timeout' }
	/** Anything else (other statuses, network errors): the window stays as it is. */
	| { kind: 'neutral' };

/** A granted slot; hand it back with `release`. */
export interface PaceTicket {
	readonly seq: number;
}

/** The pacer of one host. */
export class HostPacer {
	private windowSize: number;
	private inFlight = 0;
	private pausedUntil = 0;
	private nextSeq = 0;
	/** Requests with a seq below this were in flight at the last decrease. */
	private decreaseFence = 0;
	/** Requests with a seq below this were in flight when the current pause started; when it started. */
	private pauseFence = 0;
	private pauseStart = 0;
	private readonly waiting: Array<(ticket: PaceTicket) => void> = [];
	private timerUntil = 0;

	constructor(
		private readonly options: PacerOptions,
		private readonly clock: PacerClock,
	) {
		this.windowSize = Math.max(1, Math.floor(options.maxConcurrency));
	}

	/** Current concurrency limit (whole requests). */
	get limit(): number {
		return Math.max(1, Math.floor(this.windowSize));
	}

	/** Epoch ms until which the host is paused (0 or a past time when not paused). */
	get pauseUntil(): number {
		return this.pausedUntil;
	}

	/** Resolves when the request may be sent. */
	async acquire(): Promise<PaceTicket> {
		return await new Promise<PaceTicket>((resolve) => {
			this.waiting.push(resolve);
			this.pump();
		});
	}

	/** Reports how the request of `ticket` ended and frees its slot. */
	release(ticket: PaceTicket, outcome: PaceOutcome): void {
		this.inFlight = Math.max(0, this.inFlight - 1);
		const max = Math.max(1, Math.floor(this.options.maxConcurrency));
		if (outcome.kind === 'success') {
			this.windowSize = Math.min(max, this.windowSize + 1 / this.windowSize);
		} else if (outcome.kind === 'throttled' || outcome.kind === 'timeout') {
			if (ticket.seq >= this.decreaseFence) {
				this.windowSize = Math.max(1, this.windowSize / 2);
				this.decreaseFence = this.nextSeq;
			}
			if (outcome.kind === 'throttled' && outcome.pauseMs !== undefined && outcome.pauseMs > 0) {
				const pauseMs = Math.min(outcome.pauseMs, Math.max(0, this.options.maxPauseMs));
				if (ticket.seq >= this.pauseFence) {
					// The first 429 of a burst starts the pause.
					this.pauseStart = this.clock.now();
					this.pauseFence = this.nextSeq;
				}
				// The other requests of the burst were already on their way; their answers say the same thing and
				// only lengthen the pause when they ask for longer. (Their own items still wait their Retry-After.)
				this.pausedUntil = Math.max(this.pausedUntil, this.pauseStart + pauseMs);
			}
		}
		this.pump();
	}

	private pump(): void {
		const now = this.clock.now();
		if (now < this.pausedUntil) {
			// No timer without a waiter: a pause after the last request must not keep the process busy.
			if (this.waiting.length > 0) this.wake(this.pausedUntil);
			return;
		}
		while (this.waiting.length > 0 && this.inFlight < this.limit) {
			const resolve = this.waiting.shift()!;
			this.inFlight++;
			resolve({ seq: this.nextSeq++ });
		}
	}

	/** One timer per host, for the end of the current pause. */
	private wake(at: number): void {
		if (this.timerUntil >= at) return;
		this.timerUntil = at;
		void this.clock.sleep(at - this.clock.now()).then(() => {
			if (this.timerUntil === at) this.timerUntil = 0;
			this.pump();
		});
	}
}

/** The pacers of one execution, one per target host (host name and port). */
export class Pacers {
	private readonly hosts = new Map<string, HostPacer>();

	constructor(
		private readonly options: PacerOptions,
		private readonly clock: PacerClock,
	) {}

	/** The pacer for the host of `url`; an unparseable URL gets its own shared pacer. */
	host(url: string): HostPacer {
		let key: string;
		try {
			key = new URL(url).host.toLowerCase();
		} catch {
			key = '';
		}
		let pacer = this.hosts.get(key);
		if (!pacer) {
			pacer = new HostPacer(this.options, this.clock);
			this.hosts.set(key, pacer);
		}
		return pacer;
	}
}

/** Whether a status is the receiver asking to slow down. */
export function isThrottleStatus(status: number): boolean {
	return status === 429 || status === 503;
}
