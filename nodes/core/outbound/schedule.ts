/**
 * Redeliver's schedule: the default waits, reading a schedule the user typed, and the rules Redeliver decides by.
 * Its own home, imported by setup.ts (the defaults) and redeliver.ts (the decisions), importing neither. No n8n
 * imports.
 */

/** The default schedule: the wait before the 1st, 2nd, … redelivery, modelled on Standard Webhooks (about 3 days in all). */
export const DEFAULT_SCHEDULE = '5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h, 24h';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a schedule such as "5s, 5m, 30m, 2h": the waits in ms. Returns the problem as text for anything else (an
 * empty list, a step without unit, a negative or non-numeric step).
 */
export function parseSchedule(text: string): number[] | string {
	const steps = text
		.split(/[,;\s]+/)
		.filter((s) => s !== '');
	if (steps.length === 0) return 'it is empty; give the waits between redeliveries, e.g. "5s, 5m, 30m, 2h"';
	const waits: number[] = [];
	for (const step of steps) {
		const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/i.exec(step);
		if (!match) return `"${step.slice(0, 40)}" is not a wait like 30s, 5m, 2h or 1d`;
		waits.push(Math.round(Number(match[1]) * UNIT_MS[match[2].toLowerCase()]));
	}
	return waits;
}

/** What Redeliver decides by: the waits before each redelivery and the maximum age in ms (0 = none). */
export interface RedeliveryRules {
	schedule: number[];
	maxAgeMs: number;
}
