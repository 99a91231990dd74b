/**
 * Trigger throughput and latency in one real n8n: our KlickTipp Outbound Trigger (signature auth + normalization,
 * de-duplication off) vs n8n's built-in Webhook node (no auth), the same signed form bodies to both, autocannon with
 * fixed connections and duration, alternating rounds after a warm-up. Requests are signed before each run (not in
 * the load generator's hot path), with timestamps well inside the 5-minute tolerance for the whole run.
 */
import { randomUUID } from 'node:crypto';

import type { SingleInstance } from '../test/e2e/harness';
import { CREDENTIAL_TYPE, credentialData, signedHeaders, triggerNode } from '../test/e2e/klicktipp';
import { waitIdle } from './proc';

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

export interface TriggerRun {
	target: 'ours' | 'n8n';
	round: number;
	reqPerSec: number;
	p50: number;
	p99: number;
	non2xx: number;
	errors: number;
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

function signedRequests(path: string, count: number): AcRequest[] {
	const at = new Date();
	const out: AcRequest[] = [];
	for (let i = 0; i < count; i++) {
		const body = new URLSearchParams(klicktippForm(i)).toString();
		out.push({
			method: 'POST',
			path,
			headers: { 'content-type': 'application/x-www-form-urlencoded', ...signedHeaders(body, { at }) },
			body,
		});
	}
	return out;
}

async function load(base: string, requests: AcRequest[], connections: number, duration: number): Promise<AcResult> {
	return await autocannon({ url: base, connections, duration, requests, pipelining: 1 });
}

export async function runTrigger(
	inst: SingleInstance,
	opts: { connections: number; durationSec: number; warmupSec: number; rounds: number; signedCount: number },
	log: (s: string) => void,
): Promise<TriggerResult> {
	const cred = await inst.api.createCredential('bench signature', CREDENTIAL_TYPE, credentialData('signature'));
	const oursPath = `bench-ours-${randomUUID().slice(0, 8)}`;
	const n8nPath = `bench-n8n-${randomUUID().slice(0, 8)}`;
	await inst.api.createAndActivate({
		name: 'bench: KlickTipp Outbound Trigger',
		nodes: [triggerNode(oursPath, { authentication: 'signature', options: { dedupeSeconds: 0 } }, cred)],
		connections: {},
	});
	await inst.api.createAndActivate({
		name: 'bench: n8n Webhook',
		nodes: [
			{
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path: n8nPath, responseMode: 'onReceived', options: {} },
			},
		],
		connections: {},
	});
	await inst.api.waitForWebhook(inst.webhookBase, oursPath);
	await inst.api.waitForWebhook(inst.webhookBase, n8nPath);

	// sanity: one signed request each must be accepted, an unsigned one must be refused by ours
	const probe = signedRequests(`/webhook/${oursPath}`, 1)[0];
	const okRes = await fetch(inst.webhookBase + probe.path, { method: 'POST', headers: probe.headers, body: probe.body });
	if (okRes.status !== 200) throw new Error(`our trigger refused a signed request: ${okRes.status} ${await okRes.text()}`);
	const bad = await fetch(inst.webhookBase + probe.path, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: probe.body,
	});
	if (bad.status !== 401) throw new Error(`our trigger accepted an unsigned request (${bad.status})`);

	const paths = { ours: `/webhook/${oursPath}`, n8n: `/webhook/${n8nPath}` } as const;
	const bodyBytes = Buffer.byteLength(probe.body);
	const runs: TriggerRun[] = [];
	for (const target of ['ours', 'n8n'] as const) {
		log(`  warm-up ${target} ${opts.warmupSec}s`);
		await load(inst.webhookBase, signedRequests(paths[target], 2000), opts.connections, opts.warmupSec);
	}
	for (let round = 1; round <= opts.rounds; round++) {
		// alternate which one goes first, so drift (e.g. a growing execution table) hits both equally
		const order: Array<'ours' | 'n8n'> = round % 2 === 1 ? ['ours', 'n8n'] : ['n8n', 'ours'];
		for (const target of order) {
			// start each run from an idle n8n: executions a previous run left behind must not slow this one down
			await waitIdle(inst.n8n.child.pid!);
			const reqs = signedRequests(paths[target], opts.signedCount);
			const r = await load(inst.webhookBase, reqs, opts.connections, opts.durationSec);
			const run: TriggerRun = {
				target,
				round,
				reqPerSec: r.requests.total / r.duration,
				p50: r.latency.p50,
				p99: r.latency.p99,
				non2xx: r.non2xx,
				errors: r.errors + r.timeouts,
			};
			runs.push(run);
			log(
				`  round ${round} ${target.padEnd(4)} ${run.reqPerSec.toFixed(0)} req/s p50 ${run.p50} ms p99 ${run.p99} ms` +
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
