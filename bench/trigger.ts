/**
 * Trigger throughput and latency in one real n8n, as fair pairs in the same run: our KlickTipp Outbound Trigger
 * (normalization on, de-duplication off) with signature auth, with an API key (header) and with no auth, against
 * n8n's built-in Webhook node with Header Auth and with no auth. Every endpoint gets the identical requests (a
 * signed KlickTipp form body plus the API-key header; each endpoint checks what its setting needs), autocannon with
 * fixed connections and duration, rotating order per round after a warm-up. Requests are signed before each run
 * (not in the load generator's hot path), with timestamps well inside the 5-minute tolerance for the whole run.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { SingleInstance } from '../test/e2e/harness';
import { CREDENTIAL_TYPE, credentialData, SECRETS, signedHeaders, triggerNode } from '../test/e2e/klicktipp';
import { sleep } from '../test/e2e/harness';
import { cpuTicks, waitIdle } from './proc';

// autocannon ships no type declarations; the part we use is typed here.
interface AcRequest {
	method: string;
	path: string;
	headers: Record<string, string>;
	body: string;
}
interface AcResult {
	requests: { average: number; total: number };
	latency: { p50: number; p99: number; average: number };
	non2xx: number;
	errors: number;
	timeouts: number;
	duration: number;
	'2xx': number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AcResult>;

/** The endpoints measured side by side. */
export const TARGETS = ['oursSignature', 'oursApiKey', 'oursNone', 'n8nHeaderAuth', 'n8nNone'] as const;
export type Target = (typeof TARGETS)[number];

export const TARGET_LABELS: Record<Target, string> = {
	oursSignature: 'KlickTipp Outbound Trigger, signature',
	oursApiKey: 'KlickTipp Outbound Trigger, API key (header)',
	oursNone: 'KlickTipp Outbound Trigger, no auth',
	n8nHeaderAuth: 'n8n Webhook node 2, Header Auth',
	n8nNone: 'n8n Webhook node 2, no auth',
};

/** The comparisons: [ours, theirs, target ratio]. */
export const PAIRS: Array<{ ours: Target; theirs: Target; target: number; name: string }> = [
	{ ours: 'oursSignature', theirs: 'n8nNone', target: 0.95, name: 'signature vs Webhook without auth' },
	{ ours: 'oursApiKey', theirs: 'n8nHeaderAuth', target: 1.0, name: 'API key vs Webhook Header Auth (fair pair)' },
	{ ours: 'oursNone', theirs: 'n8nNone', target: 1.0, name: 'no auth vs Webhook no auth (fair pair)' },
];

/** The header both API-key endpoints check (our credential's API Key Parameter Name, n8n's Header Auth name). */
const API_KEY_HEADER = 'X-API-Key';

export interface TriggerRun {
	target: Target;
	round: number;
	reqPerSec: number;
	p50: number;
	p99: number;
	non2xx: number;
	errors: number;
	/** CPU time of the n8n process per answered request (user + system, until n8n is idle again after the run). */
	cpuMsPerReq: number;
}

export interface TriggerResult {
	runs: TriggerRun[];
	connections: number;
	durationSec: number;
	bodyBytes: number;
	fields: number;
}

/** A KlickTipp contact-data outbound of realistic size: 15 parameters, umlauts, form-encoded. */
export function klicktippForm(n: number): Record<string, string> {
	return {
		SubscriberID: String(1000000 + n),
		email: `max.mustermann+${n}@example.de`,
		CustomFieldFirstName: 'Jürgen',
		CustomFieldLastName: 'Müller-Lüdenscheidt',
		CustomFieldCompanyName: 'Bäckerei Größe & Söhne GmbH',
		CustomFieldStreet1: 'Königsallee 12',
		CustomFieldCity: 'Düsseldorf',
		CustomFieldZip: '40212',
		CustomFieldCountry: 'Deutschland',
		PhoneNumber: '00491701234567',
		CustomFieldBirthday: '1980-05-17',
		CustomField219989: 'Gold Kunde',
		Tags: 'Newsletter,Kunde,Webinar März',
		OptInDate: '2026-11-20 10:15:00',
		IPAddress: '203.0.113.42',
	};
}

/** The same requests for every endpoint: signed form bodies that also carry the API-key header. */
function signedRequests(path: string, count: number): AcRequest[] {
	const at = new Date();
	const out: AcRequest[] = [];
	for (let i = 0; i < count; i++) {
		const body = new URLSearchParams(klicktippForm(i)).toString();
		out.push({
			method: 'POST',
			path,
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				[API_KEY_HEADER.toLowerCase()]: SECRETS.apiKey,
				...signedHeaders(body, { at }),
			},
			body,
		});
	}
	return out;
}

async function load(base: string, requests: AcRequest[], connections: number, duration: number): Promise<AcResult> {
	return await autocannon({ url: base, connections, duration, requests, pipelining: 1 });
}

/** Stops n8n's profiler (second SIGUSR2) and renames the profile it writes after the run it covers. */
export async function collectProfile(pid: number, dir: string, name: string): Promise<void> {
	const before = new Set(fs.readdirSync(dir));
	process.kill(pid, 'SIGUSR2');
	for (let i = 0; i < 600; i++) {
		const fresh = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile') && f.startsWith('n8n-') && !before.has(f));
		if (fresh) {
			fs.renameSync(path.join(dir, fresh), path.join(dir, `${name}.cpuprofile`));
			return;
		}
		await sleep(100);
	}
	throw new Error(`n8n wrote no CPU profile for ${name} into ${dir}`);
}

function webhookNode(webhookPath: string, headerAuth?: { id: string; name: string }) {
	return {
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0] as [number, number],
		webhookId: randomUUID(),
		parameters: {
			httpMethod: 'POST',
			path: webhookPath,
			responseMode: 'onReceived',
			options: {},
			...(headerAuth ? { authentication: 'headerAuth' } : {}),
		},
		...(headerAuth ? { credentials: { httpHeaderAuth: headerAuth } } : {}),
	};
}

export async function runTrigger(
	inst: SingleInstance,
	opts: {
		connections: number;
		durationSec: number;
		warmupSec: number;
		rounds: number;
		signedCount: number;
		targets?: Target[];
		/** Set when n8n runs with bench/cpu-profile.cjs: each measured run is profiled into <dir>/<target>-r<round>.cpuprofile. */
		cpuProfDir?: string;
	},
	log: (s: string) => void,
): Promise<TriggerResult> {
	const active = opts.targets?.length ? opts.targets : [...TARGETS];
	const sigCred = await inst.api.createCredential('bench signature', CREDENTIAL_TYPE, credentialData('signature'));
	const keyCred = await inst.api.createCredential('bench api key', CREDENTIAL_TYPE, {
		apiKey: SECRETS.apiKey,
		keyName: API_KEY_HEADER,
		keyLocation: 'header',
	});
	const headerCred = await inst.api.createCredential('bench header auth', 'httpHeaderAuth', {
		name: API_KEY_HEADER,
		value: SECRETS.apiKey,
	});
	const tag = randomUUID().slice(0, 8);
	const paths = Object.fromEntries(TARGETS.map((t) => [t, `bench-${t.toLowerCase()}-${tag}`])) as Record<Target, string>;
	const ours = (authentication: string, cred?: { id: string; name: string }) =>
		triggerNode(paths[authentication === 'signature' ? 'oursSignature' : authentication === 'apiKey' ? 'oursApiKey' : 'oursNone'], {
			authentication,
			options: { dedupeSeconds: 0 },
		}, cred);
	const workflows: Record<Target, ReturnType<typeof triggerNode> | ReturnType<typeof webhookNode>> = {
		oursSignature: ours('signature', sigCred),
		oursApiKey: ours('apiKey', keyCred),
		oursNone: ours('none'),
		n8nHeaderAuth: webhookNode(paths.n8nHeaderAuth, headerCred),
		n8nNone: webhookNode(paths.n8nNone),
	};
	for (const target of TARGETS) {
		await inst.api.createAndActivate({ name: `bench: ${TARGET_LABELS[target]}`, nodes: [workflows[target]], connections: {} });
	}
	for (const target of TARGETS) await inst.api.waitForWebhook(inst.webhookBase, paths[target]);

	// sanity: the full request is accepted everywhere; without its credential part it is refused where auth is on
	for (const target of TARGETS) {
		const probe = signedRequests(`/webhook/${paths[target]}`, 1)[0];
		const okRes = await fetch(inst.webhookBase + probe.path, { method: 'POST', headers: probe.headers, body: probe.body });
		if (okRes.status !== 200) throw new Error(`${TARGET_LABELS[target]} refused the bench request: ${okRes.status} ${await okRes.text()}`);
		if (target === 'oursNone' || target === 'n8nNone') continue;
		const bare = await fetch(inst.webhookBase + probe.path, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: probe.body,
		});
		if (bare.status < 400) throw new Error(`${TARGET_LABELS[target]} accepted a request without credentials (${bare.status})`);
	}

	const bodyBytes = Buffer.byteLength(signedRequests('/', 1)[0].body);
	const runs: TriggerRun[] = [];
	for (const target of active) {
		log(`  warm-up ${target} ${opts.warmupSec}s`);
		await load(inst.webhookBase, signedRequests(`/webhook/${paths[target]}`, 2000), opts.connections, opts.warmupSec);
	}
	const pid = inst.n8n.child.pid!;
	for (let round = 1; round <= opts.rounds; round++) {
		// rotate the order each round, so drift (e.g. a growing execution table) hits every endpoint alike
		const order = active.map((_, i) => active[(i + round - 1) % active.length]);
		for (const target of order) {
			// start each run from an idle n8n: executions a previous run left behind must not slow this one down
			await waitIdle(pid);
			const reqs = signedRequests(`/webhook/${paths[target]}`, opts.signedCount);
			if (opts.cpuProfDir) process.kill(pid, 'SIGUSR2'); // start profiling
			const ticks0 = cpuTicks(pid);
			const r = await load(inst.webhookBase, reqs, opts.connections, opts.durationSec);
			await waitIdle(pid);
			const ticks = cpuTicks(pid) - ticks0;
			if (opts.cpuProfDir) await collectProfile(pid, opts.cpuProfDir, `${target}-r${round}`);
			const run: TriggerRun = {
				target,
				round,
				reqPerSec: r.requests.total / r.duration,
				p50: r.latency.p50,
				p99: r.latency.p99,
				non2xx: r.non2xx,
				errors: r.errors + r.timeouts,
				cpuMsPerReq: (ticks * 10) / Math.max(1, r['2xx']),
			};
			runs.push(run);
			log(
				`  round ${round} ${target.padEnd(13)} ${run.reqPerSec.toFixed(0)} req/s p50 ${run.p50} ms p99 ${run.p99} ms ` +
					`cpu ${run.cpuMsPerReq.toFixed(2)} ms/req` +
					(run.non2xx || run.errors ? ` non2xx ${run.non2xx} errors ${run.errors}` : ''),
			);
		}
	}
	return {
		runs,
		connections: opts.connections,
		durationSec: opts.durationSec,
		bodyBytes,
		fields: Object.keys(klicktippForm(0)).length,
	};
}
