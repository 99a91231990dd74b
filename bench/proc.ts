/** /proc readings of the n8n process (Linux): resident memory and CPU time, and a wait until it is idle. */
import fs from 'node:fs';

import { sleep } from '../test/e2e/harness';

/** Current resident set size in MB (VmRSS), 0 when unreadable. */
export function rssMb(pid: number): number {
	try {
		const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) / 1024 : 0;
	} catch {
		return 0;
	}
}

/** User + system CPU time of a process in clock ticks (usually 1/100 s), or NaN. */
export function cpuTicks(pid: number): number {
	try {
		const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
		const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
		return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
	} catch {
		return NaN;
	}
}

/**
 * Waits until the process used under 10% of one CPU for two consecutive 500 ms windows (e.g. n8n has finished the
 * executions a load run left behind), at most `maxMs`. Returns the ms waited.
 */
export async function waitIdle(pid: number, maxMs = 30_000): Promise<number> {
	const start = Date.now();
	let quiet = 0;
	let last = cpuTicks(pid);
	while (Date.now() - start < maxMs && quiet < 2) {
		await sleep(500);
		const now = cpuTicks(pid);
		if (!Number.isFinite(now)) return Date.now() - start;
		quiet = now - last < 5 ? quiet + 1 : 0;
		last = now;
	}
	return Date.now() - start;
}

/**
 * Retries n8n's REST API while it is briefly unavailable: a socket error ("fetch failed") or a 503 ("Database is not
 * ready!", which n8n 2.4.8 answers on a loaded machine while SQLite is busy saving a large execution).
 */
export async function api<T>(fn: () => Promise<T>, deadlineMs = 120_000): Promise<T> {
	const deadline = Date.now() + deadlineMs;
	for (;;) {
		try {
			return await fn();
		} catch (error) {
			if (!/fetch failed|→ 503/.test(String((error as Error).message)) || Date.now() > deadline) throw error;
			await sleep(1000);
		}
	}
}
