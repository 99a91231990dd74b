/**
 * KlickTipp's tag rule ("an outbound fired by a tag runs at most once every 6 hours for that contact") as pure
 * logic over a plain object. The node keeps that object in `this.getWorkflowStaticData('node')`, which n8n
 * persists for active workflows after each production execution. No n8n imports.
 */

export interface OncePerContactState {
	/** contact key → epoch ms of the last successful delivery */
	lastDelivered?: Record<string, number>;
}

/** The key a contact is remembered by: its contact ID, else its lower-cased email address; '' when neither. */
export function contactKey(contactId: string, email: string): string {
	if (contactId) return `id:${contactId}`;
	if (email) return `email:${email.trim().toLowerCase()}`;
	return '';
}

/** Milliseconds left in the window for this contact, or 0 when a delivery is allowed now. */
export function windowRemainingMs(state: OncePerContactState, key: string, nowMs: number, windowMs: number): number {
	if (!key || windowMs <= 0) return 0;
	const last = state.lastDelivered?.[key];
	if (typeof last !== 'number') return 0;
	const remaining = last + windowMs - nowMs;
	return remaining > 0 ? remaining : 0;
}

/** Remembers a successful delivery. */
export function recordDelivery(state: OncePerContactState, key: string, nowMs: number): void {
	if (!key) return;
	if (!state.lastDelivered || typeof state.lastDelivered !== 'object') state.lastDelivered = {};
	state.lastDelivered[key] = nowMs;
}

/**
 * Drops entries whose window has passed, and the oldest ones beyond `maxEntries`, so the static data stays
 * small. Returns the number of removed entries.
 */
export function pruneWindows(state: OncePerContactState, nowMs: number, windowMs: number, maxEntries = 100_000): number {
	const map = state.lastDelivered;
	if (!map) return 0;
	let removed = 0;
	for (const [key, at] of Object.entries(map)) {
		if (typeof at !== 'number' || at + windowMs <= nowMs) {
			delete map[key];
			removed++;
		}
	}
	const keys = Object.keys(map);
	if (keys.length > maxEntries) {
		keys.sort((a, b) => map[a] - map[b]);
		for (const key of keys.slice(0, keys.length - maxEntries)) {
			delete map[key];
			removed++;
		}
	}
	return removed;
}

/** "3h 12m" style text for a skip reason. */
export function formatRemaining(ms: number): string {
	const totalMinutes = Math.ceil(ms / 60_000);
	const h = Math.floor(totalMinutes / 60);
	const m = totalMinutes % 60;
	return h > 0 ? `${h}h ${m}m` : `${m}m`;
}
