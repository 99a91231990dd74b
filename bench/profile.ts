/**
 * Summarises V8 CPU profiles of n8n written under benchmark load (`BENCH_CPU_PROF=<dir> npm run bench`):
 * where the main process spent its time, by area (our package, n8n's webhook/execution code, database, HTTP,
 * garbage collection, idle), the heaviest functions by self time, and the inclusive time of our node's webhook()
 * and of everything it calls, per our file.
 *
 * Usage: node --import tsx bench/profile.ts <dir or .cpuprofile> [top=30]
 */
import fs from 'node:fs';
import path from 'node:path';

interface CallFrame {
	functionName: string;
	url: string;
	lineNumber: number;
}
interface ProfileNode {
	id: number;
	callFrame: CallFrame;
	children?: number[];
}
interface CpuProfile {
	nodes: ProfileNode[];
	startTime: number;
	endTime: number;
	samples: number[];
	timeDeltas: number[];
}

/** Our package's compiled files (the cache folder is named after the package too, so match the dist layout). */
export function isOurs(url: string): boolean {
	if (url.includes('/node_modules/')) return /\/node_modules\/n8n-nodes-klicktipp-outbound\/dist\//.test(url);
	return /\/dist\/(nodes|credentials)\//.test(url);
}

/** The area a frame belongs to, by its script URL. */
export function areaOf(frame: CallFrame): string {
	const { url, functionName } = frame;
	if (functionName === '(idle)') return 'idle';
	if (functionName === '(garbage collector)') return 'garbage collection';
	if (functionName === '(program)') return 'V8 / native (program)';
	if (isOurs(url)) return 'ours (dist/)';
	if (/sqlite3|typeorm|@n8n\/db|\/Pool\.js|PendingOperation/.test(url)) return 'database (typeorm, sqlite, pool)';
	if (/\/n8n-core\//.test(url)) return 'n8n-core';
	if (/\/n8n-workflow\//.test(url)) return 'n8n-workflow';
	if (/\/n8n-nodes-base\//.test(url)) return 'n8n-nodes-base';
	if (/\/node_modules\/n8n\/dist\//.test(url)) return 'n8n (cli)';
	if (/\/(express|body-parser|raw-body|router|finalhandler|send|on-finished|on-headers|cookie[^/]*|helmet|compression|etag|vary|content-type|mime-types|parseurl|bytes)\//.test(url)) {
		return 'express / http middleware';
	}
	if (/node_modules/.test(url)) return `other npm: ${/.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? '?'}`;
	if (url.startsWith('node:') || url === '') return 'Node.js internals';
	return 'other';
}

function loadProfiles(target: string): Array<{ file: string; profile: CpuProfile }> {
	const files = fs.statSync(target).isDirectory()
		? fs.readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(target, f))
		: [target];
	return files.map((file) => ({ file, profile: JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile }));
}

export function summarise(profile: CpuProfile, top = 30): string {
	const byId = new Map(profile.nodes.map((n) => [n.id, n]));
	const parent = new Map<number, number>();
	for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
	const self = new Map<number, number>();
	profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
	const total = [...self.values()].reduce((a, b) => a + b, 0);

	const byArea = new Map<string, number>();
	const byFunction = new Map<string, number>();
	for (const [id, ms] of self) {
		const frame = byId.get(id)!.callFrame;
		byArea.set(areaOf(frame), (byArea.get(areaOf(frame)) ?? 0) + ms);
		const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '')}:${frame.lineNumber + 1}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
	}

	// inclusive time under our node's webhook(): every sample whose stack passes through it
	const isOurWebhook = (f: CallFrame) => isOurs(f.url) && f.url.endsWith('KlickTippOutboundTrigger.node.js') && f.functionName === 'webhook';
	let underWebhook = 0;
	const underWebhookByArea = new Map<string, number>();
	const ourFileSelf = new Map<string, number>();
	for (const [id, ms] of self) {
		let cur: number | undefined = id;
		let inside = false;
		while (cur !== undefined) {
			if (isOurWebhook(byId.get(cur)!.callFrame)) {
				inside = true;
				break;
			}
			cur = parent.get(cur);
		}
		const frame = byId.get(id)!.callFrame;
		if (isOurs(frame.url)) {
			const file = frame.url.slice(frame.url.lastIndexOf('/dist/') + 6);
			ourFileSelf.set(file, (ourFileSelf.get(file) ?? 0) + ms);
		}
		if (!inside) continue;
		underWebhook += ms;
		underWebhookByArea.set(areaOf(frame), (underWebhookByArea.get(areaOf(frame)) ?? 0) + ms);
	}

	const pct = (ms: number) => `${((100 * ms) / total).toFixed(1)}%`;
	const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
	const lines: string[] = [];
	const idle = byArea.get('idle') ?? 0;
	lines.push(`sampled ${(total / 1000).toFixed(1)} s (${profile.samples.length} samples), busy ${((total - idle) / 1000).toFixed(1)} s`);
	lines.push('', 'self time by area:');
	for (const [area, ms] of sorted(byArea)) lines.push(`  ${pct(ms).padStart(6)}  ${(ms / 1000).toFixed(2).padStart(7)} s  ${area}`);
	lines.push('', `inclusive time under our webhook(): ${pct(underWebhook)} (${(underWebhook / 1000).toFixed(2)} s), of which:`);
	for (const [area, ms] of sorted(underWebhookByArea)) lines.push(`  ${pct(ms).padStart(6)}  ${area}`);
	lines.push('', 'self time in our files:');
	for (const [file, ms] of sorted(ourFileSelf)) lines.push(`  ${pct(ms).padStart(6)}  ${file}`);
	lines.push('', `top ${top} functions by self time:`);
	for (const [fn, ms] of sorted(byFunction).slice(0, top)) lines.push(`  ${pct(ms).padStart(6)}  ${fn}`);
	return lines.join('\n');
}

if (require.main === module) {
	const target = process.argv[2];
	if (!target) {
		console.error('usage: node --import tsx bench/profile.ts <dir or .cpuprofile> [top]');
		process.exit(2);
	}
	const top = Number(process.argv[3] ?? 30);
	// the n8n main process is the busiest profile (task runners and loader threads write their own, mostly idle ones)
	const busy = (p: CpuProfile) => {
		const idle = new Set(p.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
		return p.samples.reduce((sum, id, i) => sum + (idle.has(id) ? 0 : (p.timeDeltas[i] ?? 0)), 0);
	};
	const profiles = loadProfiles(target).sort((a, b) => busy(b.profile) - busy(a.profile));
	for (const { file, profile } of profiles.slice(0, 1)) {
		console.log(`# ${path.basename(file)}\n${summarise(profile, top)}`);
	}
}
