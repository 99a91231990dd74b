/**
 * What survives a crash (issue 21): real SIGKILL of a real n8n (single mode, SQLite) in the middle of a Send, a
 * restart on the same data folder, and the crashed execution retried through n8n's REST API exactly as the editor's
 * Retry button does (`POST /rest/executions/:id/retry`, `{ loadWorkflow: false }`: "Retry with original workflow").
 * A local receiver counts per contact and per ID.
 *
 * 1. One Send per authentication (none with `Idempotency-Key` as the idempotency header, API key in a header, Basic
 *    Auth, Standard Webhooks signature), one after the other in one execution (Webhook → Split Out → four Sends), n8n
 *    killed when about half of all requests have arrived. Asserted: the execution is `crashed` after the restart;
 *    the Retry ends `success`; 0 lost (every contact of every outbound arrived); every request carries an ID; every
 *    contact arrived with exactly one ID (so every duplicate carries the earlier ID). The duplicates are counted and
 *    printed (a Retry without the recipe sends again everything the execution had sent).
 * 2. The recipe (docs/outbound.md, "A crash and the Retry button"): Loop Over Items in batches of B with the
 *    workflow's "Save Execution Progress" on. Asserted: 0 lost, one ID per contact, duplicates ≤ B.
 * 3. State across a SIGKILL and restart (no execution running): the trigger's duplicate memory is gone (the same
 *    event is answered `accepted` again), once per contact holds (its windows were saved with the finished
 *    execution: the second delivery is skipped).
 * 4. What the recipe costs (measured, nothing asserted but completeness): the same N items through a plain Send and
 *    through the recipe, no crash, the receiver answering at once; each execution's duration and n8n's saves.
 *
 * Sizes (KLICKTIPP_E2E_CRASH_ITEMS, default 120 contacts per outbound; KLICKTIPP_E2E_CRASH_BATCH, default 20) keep
 * this file at about a minute and a half per version.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';

import {
	E2E_VERSIONS,
	N8nApi,
	type N8nProcess,
	freePort,
	hasNode,
	installPackageInto,
	isInstalled,
	sleep,
	spawnN8n,
	tempUserFolder,
} from './harness';
import { CREDENTIAL_TYPE, SECRETS, connect, contactParams, credentialData, outboundNode, postForm, triggerNode } from './klicktipp';
import { Receiver, type ReceivedRequest } from './receiver';

const N = Number(process.env.KLICKTIPP_E2E_CRASH_ITEMS || 120);
const BATCH = Number(process.env.KLICKTIPP_E2E_CRASH_BATCH || 20);
/** Receiver latency: slow enough that a kill lands in the middle of a Send. */
const LATENCY_MS = 60;

const skip = !hasNode('outbound') ? 'dist/ missing (run npm run build)' : false;

/** One single-mode n8n whose data folder, port and encryption key outlive a SIGKILL. */
class Instance {
	readonly userFolder = tempUserFolder('crash');
	readonly key = randomBytes(24).toString('hex');
	port = 0;
	n8n?: N8nProcess;
	api?: N8nApi;
	starts: number[] = [];
	constructor(readonly version: string) {
		installPackageInto(this.userFolder);
	}
	async start(): Promise<void> {
		this.port ||= await freePort();
		const t = Date.now();
		this.n8n = await spawnN8n({
			version: this.version,
			userFolder: this.userFolder,
			port: this.port,
			label: `n8n-${this.starts.length}`,
			env: { N8N_ENCRYPTION_KEY: this.key, WEBHOOK_URL: `http://127.0.0.1:${this.port}/` },
		});
		this.starts.push(Date.now() - t);
		this.api = new N8nApi(this.n8n.baseUrl);
		await this.api.setupOwnerAndLogin();
		await this.api.createApiKey();
	}
	/** SIGKILL to n8n's process group (n8n and its task runner): no shutdown, nothing flushed. */
	async kill(): Promise<void> {
		const n8n = this.n8n!;
		const gone = new Promise<void>((r) => (n8n.hasExited ? r() : n8n.child.once('exit', () => r())));
		n8n.killNow();
		await gone;
	}
	async stop(): Promise<void> {
		await this.n8n?.stop();
		if (!process.env.KLICKTIPP_E2E_KEEP) fs.rmSync(this.userFolder, { recursive: true, force: true });
	}
}

const contacts = (n: number) =>
	Array.from({ length: n }, (_, i) => ({ event: 'contactData', eventId: `evt_crash_${i + 1}`, contact: { id: String(i + 1), email: `c${i + 1}@example.de` } }));

function webhookNodes(path: string) {
	return [
		{
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0] as [number, number],
			webhookId: randomUUID(),
			parameters: { httpMethod: 'POST', path, responseMode: 'onReceived', options: {} },
		},
		{
			name: 'Split Out',
			type: 'n8n-nodes-base.splitOut',
			typeVersion: 1,
			position: [200, 0] as [number, number],
			parameters: { fieldToSplitOut: 'body.contacts', options: {} },
		},
	];
}

/** Per contact: how many requests and which IDs (under `idHeader`). */
function tally(requests: ReceivedRequest[], idHeader: string) {
	const perContact = new Map<string, { count: number; ids: Set<string> }>();
	let withoutId = 0;
	for (const r of requests) {
		const id = (r.body as Record<string, string>).contact_id;
		const idValue = r.headers[idHeader];
		if (typeof idValue !== 'string' || !idValue) withoutId++;
		const entry = perContact.get(id) ?? { count: 0, ids: new Set<string>() };
		entry.count++;
		if (typeof idValue === 'string') entry.ids.add(idValue);
		perContact.set(id, entry);
	}
	const duplicates = [...perContact.values()].reduce((n, e) => n + e.count - 1, 0);
	const twoIds = [...perContact.entries()].filter(([, e]) => e.ids.size > 1).map(([id]) => id);
	return { perContact, withoutId, duplicates, twoIds, requests: requests.length };
}

async function killAt(inst: Instance, receiver: Receiver, paths: string[], count: number, timeoutMs = 120_000): Promise<number> {
	const deadline = Date.now() + timeoutMs;
	const seen = () => receiver.requests.filter((r) => paths.includes(r.path)).length;
	while (seen() < count) {
		if (Date.now() > deadline) throw new Error(`only ${seen()} of ${count} requests before the kill`);
		await sleep(5);
	}
	await inst.kill();
	await sleep(300); // requests already on the wire arrive
	return seen();
}

async function crashedExecution(api: N8nApi, workflowId: string) {
	const list = await api.executions(workflowId);
	assert.equal(list.length, 1, `one execution before the retry: ${JSON.stringify(list.map((e) => [e.id, e.status]))}`);
	return list[0];
}

for (const version of E2E_VERSIONS) {
	describe(`what survives a crash: SIGKILL mid-Send, restart, Retry (n8n ${version}, single mode)`, { skip: skip || (!isInstalled(version) && `n8n ${version} not installed`) }, () => {
		const inst = new Instance(version);
		const receiver = new Receiver();
		const figures: Record<string, unknown> = { version, items: N, batch: BATCH, latencyMs: LATENCY_MS };
		let started = Date.now();

		before(async () => {
			started = Date.now();
			await receiver.start();
			for (const p of ['/none', '/apikey', '/basic', '/signed', '/recipe', '/once', '/cost-plain', '/cost-recipe']) {
				receiver.on(p, () => ({ status: 200, body: '{"ok":true}', delayMs: LATENCY_MS }));
			}
			await inst.start();
		});
		after(async () => {
			figures.totalSeconds = Math.round((Date.now() - started) / 1000);
			figures.n8nStartMs = inst.starts;
			console.log(`[crash] ${JSON.stringify(figures)}`);
			await inst.stop();
			await receiver.stop();
		});

		it('every authentication: 0 lost after Retry, every request with an ID, every duplicate with the earlier ID', async () => {
			const api = inst.api!;
			const key = await api.createCredential('crash api key', CREDENTIAL_TYPE, {
				apiKey: SECRETS.apiKey,
				keyName: 'X-Api-Key',
				keyLocation: 'header',
			});
			const basic = await api.createCredential('crash basic', CREDENTIAL_TYPE, credentialData('basicAuth'));
			const signing = await api.createCredential('crash signing', CREDENTIAL_TYPE, credentialData('signature'));
			const r = receiver.url;
			const common = {
				method: 'POST',
				format: 'json',
				fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
			};
			const opts = { allowPrivateTargets: true, retryDelay: 20 };
			const sends: Array<{ node: string; path: string; header: string }> = [
				{ node: 'Send none', path: '/none', header: 'idempotency-key' },
				{ node: 'Send API key', path: '/apikey', header: 'webhook-id' },
				{ node: 'Send Basic Auth', path: '/basic', header: 'webhook-id' },
				{ node: 'Send signed', path: '/signed', header: 'webhook-id' },
			];
			const wfId = await api.createAndActivate({
				name: 'crash: four Sends',
				nodes: [
					...webhookNodes('crash-four'),
					outboundNode('Send none', { outboundName: 'none', url: `${r}/none`, ...common, authentication: 'none', options: { ...opts, idempotencyHeader: 'Idempotency-Key' } }, undefined, [400, -300]),
					outboundNode('Send API key', { outboundName: 'apikey', url: `${r}/apikey`, ...common, authentication: 'apiKey', options: opts }, key, [400, -100]),
					outboundNode('Send Basic Auth', { outboundName: 'basic', url: `${r}/basic`, ...common, authentication: 'basicAuth', options: opts }, basic, [400, 100]),
					outboundNode('Send signed', { outboundName: 'signed', url: `${r}/signed`, ...common, authentication: 'signature', options: opts }, signing, [400, 300]),
				],
				connections: connect(sends.map((s) => ['Split Out', s.node] as [string, string]).concat([['Webhook', 'Split Out']])),
			});
			await api.waitForWebhook(inst.n8n!.baseUrl, 'crash-four');
			const t0 = Date.now();
			const res = await fetch(`${inst.n8n!.baseUrl}/webhook/crash-four`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ contacts: contacts(N) }),
			});
			assert.equal(res.status, 200);
			const paths = sends.map((s) => s.path);
			// about half-way, in the middle of the second Send
			const atKill = await killAt(inst, receiver, paths, 2 * N - Math.floor(N / 4));
			figures.fourSends = { killedAfterRequests: atKill, of: 4 * N, killedAfterMs: Date.now() - t0 };

			await inst.start();
			const crashed = await crashedExecution(inst.api!, wfId);
			(figures.fourSends as Record<string, unknown>).statusAfterRestart = crashed.status;
			assert.equal(crashed.status, 'crashed', 'n8n marks the running execution crashed at startup; nothing resumes');
			const beforeRetry = receiver.requests.filter((q) => paths.includes(q.path)).length;
			await sleep(1000);
			assert.equal(receiver.requests.filter((q) => paths.includes(q.path)).length, beforeRetry, 'nothing resumes by itself');

			const t1 = Date.now();
			await inst.api!.rest('POST', `/rest/executions/${crashed.id}/retry`, { loadWorkflow: false });
			const all = await inst.api!.waitForExecutions(wfId, 2, { timeoutMs: 120_000, includeData: false });
			const retry = all.find((e) => e.id !== crashed.id)!;
			assert.equal(retry.status, 'success', `the Retry: ${retry.status}`);
			assert.equal(retry.mode, 'retry');
			(figures.fourSends as Record<string, unknown>).retryMs = Date.now() - t1;

			const per: Record<string, unknown> = {};
			for (const s of sends) {
				const t = tally(receiver.at(s.path), s.header);
				per[s.path] = { requests: t.requests, duplicates: t.duplicates, withoutId: t.withoutId, contacts: t.perContact.size };
				assert.equal(t.perContact.size, N, `${s.path}: 0 lost (every contact arrived)`);
				assert.equal(t.withoutId, 0, `${s.path}: every request carries an ID under ${s.header}`);
				assert.deepEqual(t.twoIds, [], `${s.path}: no contact with two IDs (every duplicate carries the earlier ID)`);
				if (s.path === '/signed') {
					assert.ok(receiver.at(s.path).every((q) => q.headers['webhook-signature']), 'signed');
				}
				if (s.path === '/none') {
					assert.ok(receiver.at(s.path).every((q) => q.headers['webhook-id'] === undefined), 'only the configured header');
				}
			}
			// without the recipe, the Retry runs the whole saved input again: everything sent before the kill is sent twice
			const dup = Object.values(per).reduce((n: number, p) => n + (p as { duplicates: number }).duplicates, 0);
			assert.ok(dup >= atKill - 32, `the Retry resent what had been sent (${dup} duplicates, ${atKill} before the kill)`);
			(figures.fourSends as Record<string, unknown>).perOutbound = per;
			(figures.fourSends as Record<string, unknown>).duplicates = dup;
		});

		it('the recipe (Loop Over Items in batches, Save Execution Progress on): duplicates ≤ one batch', async () => {
			const api = inst.api!;
			const r = receiver.url;
			const wfId = await api.createWorkflow({
				name: 'crash: recipe',
				nodes: [
					...webhookNodes('crash-recipe'),
					{
						name: 'Loop Over Items',
						type: 'n8n-nodes-base.splitInBatches',
						typeVersion: 3,
						position: [400, 0],
						parameters: { batchSize: BATCH, options: {} },
					},
					outboundNode(
						'Send',
						{
							outboundName: 'recipe',
							url: `${r}/recipe`,
							method: 'POST',
							format: 'json',
							fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
							authentication: 'none',
							options: { allowPrivateTargets: true, retryDelay: 20 },
						},
						undefined,
						[600, 100],
					),
				],
				connections: connect([
					['Webhook', 'Split Out'],
					['Split Out', 'Loop Over Items'],
					['Loop Over Items', 'Send', 1],
					['Send', 'Loop Over Items'],
				]),
				settings: { executionOrder: 'v1', saveExecutionProgress: true },
			});
			await api.activate(wfId);
			await api.waitForWebhook(inst.n8n!.baseUrl, 'crash-recipe');
			const t0 = Date.now();
			const res = await fetch(`${inst.n8n!.baseUrl}/webhook/crash-recipe`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ contacts: contacts(N) }),
			});
			assert.equal(res.status, 200);
			// half-way, and in the middle of a batch
			const atKill = await killAt(inst, receiver, ['/recipe'], Math.floor(N / 2) + Math.floor(BATCH / 2));
			const figure: Record<string, unknown> = { killedAfterRequests: atKill, of: N, killedAfterMs: Date.now() - t0 };
			figures.recipe = figure;

			await inst.start();
			const crashed = await crashedExecution(inst.api!, wfId);
			figure.statusAfterRestart = crashed.status;
			assert.equal(crashed.status, 'crashed');
			await inst.api!.rest('POST', `/rest/executions/${crashed.id}/retry`, { loadWorkflow: false });
			const all = await inst.api!.waitForExecutions(wfId, 2, { timeoutMs: 120_000, includeData: true });
			const retry = all.find((e) => e.id !== crashed.id)!;
			assert.equal(retry.status, 'success', `the Retry: ${retry.status}`);
			const t = tally(receiver.at('/recipe'), 'webhook-id');
			figure.requests = t.requests;
			figure.duplicates = t.duplicates;
			figure.retrySendRuns = retry.data?.resultData.runData.Send?.length;
			assert.equal(t.perContact.size, N, '0 lost');
			assert.equal(t.withoutId, 0);
			assert.deepEqual(t.twoIds, []);
			assert.ok(t.duplicates <= BATCH, `duplicates ${t.duplicates} ≤ one batch (${BATCH})`);
		});

		it('across a SIGKILL and restart: the trigger forgets its duplicates, once per contact holds', async () => {
			const api = inst.api!;
			const wfId = await api.createAndActivate({
				name: 'crash: state across restart',
				nodes: [
					triggerNode('crash-state', { options: { dedupeSeconds: 3600 } }),
					outboundNode('Send', {
						outboundName: 'once',
						url: `${receiver.url}/once`,
						method: 'POST',
						format: 'json',
						fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
						authentication: 'none',
						options: { allowPrivateTargets: true, oncePerContactHours: 6 },
					}),
				],
				connections: connect([['KlickTipp Outbound Trigger', 'Send']]),
			});
			const post = async () => {
				await api.waitForWebhook(inst.n8n!.baseUrl, 'crash-state', 60_000);
				const res = await postForm(`${inst.n8n!.baseUrl}/webhook/crash-state`, contactParams(4711));
				assert.equal(res.status, 200);
				return ((await res.json()) as { status: string }).status;
			};
			assert.equal(await post(), 'accepted');
			assert.equal(await post(), 'duplicate', 'the same event again: a duplicate while the process lives');
			await inst.api!.waitForExecutions(wfId, 1, { includeData: false });
			assert.equal(receiver.at('/once').length, 1);
			await inst.kill();
			await inst.start();
			const third = await post();
			const execs = await inst.api!.waitForExecutions(wfId, 2, { includeData: true, timeoutMs: 60_000 });
			const record = execs[1].data?.resultData.runData.Send?.[0]?.data?.main[0]?.[0]?.json as { status: string; reason?: string };
			figures.stateAcrossRestart = { triggerAnswerAfterRestart: third, secondSend: record?.status, deliveries: receiver.at('/once').length };
			assert.equal(third, 'accepted', 'the trigger\'s duplicate memory lives in the process: gone after a restart');
			assert.equal(record?.status, 'skipped', 'once per contact: the window was saved with the finished execution');
			assert.equal(receiver.at('/once').length, 1, 'one delivery');
		});

		it('what the recipe costs: the same items without a crash, plain Send and the recipe', async () => {
			const api = inst.api!;
			receiver.on('/cost-plain', () => ({ status: 200, body: '{}' })).on('/cost-recipe', () => ({ status: 200, body: '{}' }));
			const send = (path: string) =>
				outboundNode('Send', {
					outboundName: path,
					url: `${receiver.url}/${path}`,
					method: 'POST',
					format: 'json',
					fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
					authentication: 'none',
					options: { allowPrivateTargets: true },
				}, undefined, [600, 100]);
			const plain = await api.createAndActivate({
				name: 'cost: plain',
				nodes: [...webhookNodes('cost-plain'), send('cost-plain')],
				connections: connect([['Webhook', 'Split Out'], ['Split Out', 'Send']]),
			});
			const recipe = await api.createAndActivate({
				name: 'cost: recipe',
				nodes: [
					...webhookNodes('cost-recipe'),
					{ name: 'Loop Over Items', type: 'n8n-nodes-base.splitInBatches', typeVersion: 3, position: [400, 0], parameters: { batchSize: BATCH, options: {} } },
					send('cost-recipe'),
				],
				connections: connect([['Webhook', 'Split Out'], ['Split Out', 'Loop Over Items'], ['Loop Over Items', 'Send', 1], ['Send', 'Loop Over Items']]),
				settings: { executionOrder: 'v1', saveExecutionProgress: true },
			});
			const cost: Record<string, unknown> = {};
			for (const [name, id] of [['plain', plain], ['recipe', recipe]] as const) {
				await api.waitForWebhook(inst.n8n!.baseUrl, `cost-${name}`);
				const res = await fetch(`${inst.n8n!.baseUrl}/webhook/cost-${name}`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ contacts: contacts(N) }),
				});
				assert.equal(res.status, 200);
				const [e] = await api.waitForExecutions(id, 1, { timeoutMs: 120_000, includeData: true });
				assert.equal(e.status, 'success');
				const runs = Object.values(e.data!.resultData.runData).reduce((n, r) => n + r.length, 0);
				const ms = new Date(e.stoppedAt!).getTime() - new Date(e.startedAt).getTime();
				// with Save Execution Progress n8n writes the whole execution data after every node run
				cost[name] = { ms, perItemMs: +(ms / N).toFixed(2), nodeRuns: runs, progressSaves: name === 'recipe' ? runs : 0 };
				assert.equal(receiver.at(`/cost-${name}`).length, N);
			}
			figures.cost = cost;
		});
	});
}
