/**
 * A virtual clock for unit tests of timed core logic: `sleep` registers a timer, `run`/`advance` move time forward
 * timer by timer, letting every promise chain settle in between. Deterministic, no real waiting.
 */
export class VirtualClock {
	private t: number;
	private seq = 0;
	private timers: Array<{ at: number; seq: number; resolve: () => void }> = [];

	constructor(start = 1_000_000) {
		this.t = start;
	}

	now = (): number => this.t;

	sleep = async (ms: number): Promise<void> =>
		await new Promise<void>((resolve) => {
			this.timers.push({ at: this.t + Math.max(0, ms), seq: this.seq++, resolve });
		});

	get pendingTimers(): number {
		return this.timers.length;
	}

	/** Lets all queued promise callbacks run. */
	async settle(): Promise<void> {
		for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
	}

	/** Moves time to `until`, firing every timer due on the way, in order. */
	async advanceTo(until: number): Promise<void> {
		await this.settle();
		for (;;) {
			const next = this.earliest();
			if (!next || next.at > until) break;
			this.fire(next);
			await this.settle();
		}
		this.t = Math.max(this.t, until);
		await this.settle();
	}

	async advance(ms: number): Promise<void> {
		await this.advanceTo(this.t + ms);
	}

	/** Runs until `done` settles, firing timers as needed; throws if nothing is left to fire. */
	async runUntil<T>(done: Promise<T>, limitMs = 24 * 3_600_000): Promise<T> {
		let finished = false;
		let value: T | undefined;
		let failure: unknown;
		let failed = false;
		done.then(
			(v) => {
				finished = true;
				value = v;
			},
			(e) => {
				finished = true;
				failed = true;
				failure = e;
			},
		);
		const stop = this.t + limitMs;
		await this.settle();
		while (!finished) {
			const next = this.earliest();
			if (!next) throw new Error('VirtualClock: deadlock, no timer left and the promise has not settled');
			if (next.at > stop) throw new Error('VirtualClock: time limit reached');
			this.fire(next);
			await this.settle();
		}
		if (failed) throw failure;
		return value as T;
	}

	private earliest() {
		let best: (typeof this.timers)[number] | undefined;
		for (const timer of this.timers) {
			if (!best || timer.at < best.at || (timer.at === best.at && timer.seq < best.seq)) best = timer;
		}
		return best;
	}

	private fire(timer: (typeof this.timers)[number]): void {
		this.timers = this.timers.filter((x) => x !== timer);
		this.t = Math.max(this.t, timer.at);
		timer.resolve();
	}
}
