/**
 * How many requests may be in flight to one receiver host: a small `Limit` interface with pluggable algorithms,
 * after Netflix concurrency-limits and Envoy's adaptive concurrency filter. The host (host.ts) feeds every finished
 * request in as a sample and lets a new request go while fewer than `value` are in flight (never more than the
 * node's Concurrency, which the host enforces on top). No n8n imports, no clock: samples carry their own times.
 *
 * - `AimdLimit`: the loss-based window the node had first (+1 per window of successes, halved on congestion).
 *   It only learns from 429/503/timeouts, so against a healthy receiver it climbs slowly and against a small one it
 *   has to be hit before it slows down.
 * - `GradientLimit` (the default): latency-based, in the spirit of TCP Vegas and Netflix's Vegas/Gradient2. It keeps
 *   the receiver's no-load latency (the smallest round trip lately). Each answer within twice that baseline (+20 ms)
 *   says the receiver is not queueing and grows the window (by half per round trip at first, "slow start", then by 1
 *   per round trip, more for large windows, and only by 1 per 8 round trips near the window where the receiver last
 *   said "too much"). When a round trip's answers average above it, the receiver is queueing: the window shrinks in
 *   proportion (at most by half per round trip). A 429, 503 or timeout cuts it to ¾ of what was in flight (once per
 *   burst: the host passes on only drops of requests sent after the last decrease).
 */

/** One finished request as a limit needs it. */
export interface LimitSample {
	/** Round trip of this request (ms). */
	rttMs: number;
	/** Requests in flight to the host when this one was sent (itself included). */
	inFlight: number;
	/** The receiver said "too much" (429, 503) or did not answer in time. */
	dropped: boolean;
	/** When the request finished (epoch ms). */
	at: number;
	/**
	 * The most the sender lets go to the host now (the node's Concurrency); the window does not grow past it, which
	 * would be a size never tried. Unset: MAX_LIMIT.
	 */
	ceiling?: number;
}

/** Where a window may grow to after `sample` (never below where it is: a lower ceiling later does not shrink it). */
function growthCap(size: number, sample: LimitSample): number {
	return Math.max(size, Math.min(MAX_LIMIT, sample.ceiling ?? MAX_LIMIT));
}

export interface Limit {
	/** The window: requests that may be in flight now (>= 1). */
	readonly value: number;
	/** Learns from one finished request. */
	update(sample: LimitSample): void;
}

export type LimitAlgorithm = 'gradient' | 'aimd';

/** The largest window any algorithm grows to (the node's Concurrency option can not go higher either). */
export const MAX_LIMIT = 1000;
/** Where a host's window starts before anything is known about it. */
export const INITIAL_LIMIT = 10;

export function createLimit(algorithm: LimitAlgorithm, initial = INITIAL_LIMIT): Limit {
	return algorithm === 'aimd' ? new AimdLimit(initial) : new GradientLimit(initial);
}

/** Loss-based: +1 per window of successes, halved on a drop. */
export class AimdLimit implements Limit {
	private size: number;

	constructor(initial = INITIAL_LIMIT) {
		this.size = Math.max(1, initial);
	}

	get value(): number {
		return Math.max(1, Math.floor(this.size));
	}

	update(sample: LimitSample): void {
		if (sample.dropped) this.size = Math.max(1, this.size / 2);
		else if (sample.inFlight * 2 >= this.value) this.size = Math.min(growthCap(this.size, sample), this.size + 1 / this.size);
	}
}

/** The baseline is the smallest round trip of the current and the previous epoch, so it follows a receiver that got slower. */
const EPOCH_SAMPLES = 500;
const EPOCH_MS = 30_000;
/**
 * A round trip up to this multiple of the baseline, plus SLACK_MS, counts as "not queueing". Twice the no-load round
 * trip means at most about as many requests wait at the receiver as it serves at once: a receiver that keeps its
 * latency within that is busy, not overloaded, and a window held below it leaves a healthy CRM idle (measured: at
 * 1.5x, a loopback receiver answering in 50 ms held the window near 60 while n8n's own event loop and the
 * receiver's were busy, at 0.8x n8n's HTTP Request node; at 2x it reaches Concurrency). A receiver that really
 * queues (a few workers, everything else waits) passes 2x within a round trip or two of growth and is held there
 * (test/unit/outbound-receivers.test.ts, "queueing receiver"). SLACK_MS keeps jitter and our own event loop from
 * reading as queueing when the baseline is a loopback millisecond.
 */
const TOLERANCE = 2;
const SLACK_MS = 20;
/** Multiplicative decrease on a drop. */
const DROP_FACTOR = 0.75;
/** Slow start: added per success, so the window grows by half per round trip. */
const SLOW_START_STEP = 0.5;
/** Near the window of the last drop the window grows by 1 per this many round trips. */
const PLATEAU = 8;
/** Fewest answers latency is judged on (a round is a window's worth of answers, about one round trip). */
const MIN_ROUND = 4;

/** Latency-based (Vegas/Gradient style); see the file's comment. */
export class GradientLimit implements Limit {
	private size: number;
	private slowStart = true;
	private baseline = Infinity;
	private epochMin = Infinity;
	private previousEpochMin = Infinity;
	private epochSamples = 0;
	private epochStart = 0;
	/** The window when the receiver last said "too much" (0 = never). */
	private dropWindow = 0;
	/** No second decrease before one round trip has passed since the last. */
	private lastDecreaseAt = -Infinity;
	/** The answers of the current round: latency is judged on their mean, not on one answer. */
	private roundSum = 0;
	private roundCount = 0;

	constructor(initial = INITIAL_LIMIT) {
		this.size = Math.max(1, initial);
	}

	get value(): number {
		return Math.max(1, Math.floor(this.size));
	}

	/** The no-load round trip the window compares against (ms); Infinity before the first sample. */
	get baselineMs(): number {
		return this.baseline;
	}

	update(sample: LimitSample): void {
		const rtt = Math.max(0.1, sample.rttMs);
		if (sample.dropped) {
			// Every drop the caller passes on decreases (the host passes one per burst: only a request sent after the
			// last decrease). A rejection comes back fast and says nothing about the receiver's service time: it is no
			// baseline sample.
			// Cut from what was really in flight when the rejected request went (TCP takes its flight size, not its
			// window, for the same reason): a window that grew past what was used must not cushion the cut.
			this.slowStart = false;
			this.roundSum = 0;
			this.roundCount = 0;
			this.dropWindow = Math.min(this.size, sample.inFlight);
			this.size = Math.max(1, this.dropWindow * DROP_FACTOR);
			return;
		}
		this.track(rtt, sample.at);
		const threshold = TOLERANCE * this.baseline + SLACK_MS;
		this.judgeRound(rtt, threshold, sample.at);
		// A window that is not used tells nothing about the receiver: do not grow it (queueing can still shrink it).
		const used = sample.inFlight * 2 >= this.value;
		if (rtt <= threshold) {
			if (!used) return;
			// Not queueing: slow start grows the window by half per round trip (doubling, as TCP does, overshoots a
			// receiver that rejects beyond N by up to N at once), then +1 per round trip (+log10 of the
			// window when it is large), so a receiver that rejects beyond N is probed gently.
			// Within one request of the window of the last drop, it creeps (+1 per PLATEAU round trips), so a receiver
			// that rejects beyond N is asked for N+1 now and then, not every round trip (the idea of TCP CUBIC's plateau).
			const nearDrop = Math.abs(this.size - this.dropWindow) < 1;
			const step = this.slowStart ? SLOW_START_STEP : nearDrop ? 1 / (PLATEAU * this.size) : Math.max(1, Math.log10(this.size)) / this.size;
			this.size = Math.min(growthCap(this.size, sample), this.size + step);
		}
	}

	/**
	 * Queueing is judged per round, on the mean round trip of a window's worth of answers (at least MIN_ROUND): one
	 * slow answer among fast ones is jitter (n8n's own event loop, a GC pause), and a window cut on every slow answer
	 * swings between a few and its full size and leaves the receiver idle half the time. When the mean is above the
	 * threshold, the receiver is queueing: shrink in proportion to how far latency rose, at most by half, and not
	 * again within one round trip (answers to requests sent before the cut are still slow).
	 */
	private judgeRound(rtt: number, threshold: number, at: number): void {
		this.roundSum += rtt;
		this.roundCount++;
		if (this.roundCount < Math.max(MIN_ROUND, this.value)) return;
		const mean = this.roundSum / this.roundCount;
		this.roundSum = 0;
		this.roundCount = 0;
		if (mean <= threshold) return;
		this.slowStart = false;
		if (at - this.lastDecreaseAt < Math.min(mean, this.baseline * 2)) return;
		this.lastDecreaseAt = at;
		this.size = Math.max(1, this.size * Math.max(0.5, threshold / mean));
	}

	private track(rtt: number, at: number): void {
		if (this.epochSamples === 0) this.epochStart = at;
		this.epochMin = Math.min(this.epochMin, rtt);
		this.epochSamples++;
		if (this.epochSamples >= EPOCH_SAMPLES || at - this.epochStart >= EPOCH_MS) {
			this.previousEpochMin = this.epochMin;
			this.epochMin = Infinity;
			this.epochSamples = 0;
		}
		this.baseline = Math.min(this.previousEpochMin, this.epochMin);
	}
}
