/**
 * A bounded in-memory store of recently seen event ids with a time-to-live, for duplicate suppression.
 * It lives in the memory of ONE n8n process: with several webhook processors (queue mode) or after a restart
 * a duplicate can get through. Time is injected so tests need no waiting. No n8n imports.
 */
export const DEFAULT_MAX_ENTRIES = 100_000;

export class DedupeStore {
	private readonly entries = new Map<string, number>();

	constructor(
		private readonly maxEntries: number = DEFAULT_MAX_ENTRIES,
		private readonly now: () => number = () => Date.now(),
	) {}

	/**
	 * Records `eventId` for `scope` and tells whether it was already seen within its window.
	 * A window of 0 or less disables de-duplication (always false, nothing stored).
	 */
	seen(scope: string, eventId: string, windowSeconds: number): boolean {
		if (!(windowSeconds > 0)) return false;
		const key = `${scope}\u0000${eventId}`;
		const now = this.now();
		const expires = this.entries.get(key);
		if (expires !== undefined && expires > now) return true;
		this.entries.delete(key);
		this.entries.set(key, now + windowSeconds * 1000);
		if (this.entries.size > this.maxEntries) this.evict(now);
		return false;
	}

	/** Forgets every entry of a scope (a workflow's trigger node). */
	clear(scope: string): void {
		const prefix = `${scope}\u0000`;
		for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
	}

	get size(): number {
		return this.entries.size;
	}

	/** Drops expired entries; if still over the bound, the oldest recorded ones. */
	private evict(now: number): void {
		for (const [key, expires] of this.entries) if (expires <= now) this.entries.delete(key);
		for (const key of this.entries.keys()) {
			if (this.entries.size <= this.maxEntries) break;
			this.entries.delete(key);
		}
	}
}

/** The store the trigger uses in this process. */
export const processDedupeStore = new DedupeStore();

/** The scope of one trigger node; test webhooks ("Listen for test event") get their own. */
export function dedupeScope(workflowId: string | undefined, nodeId: string, test: boolean): string {
	return `${workflowId ?? '__UNSAVED__'}:${nodeId}${test ? ':test' : ''}`;
}
