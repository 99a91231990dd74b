/**
 * The dead-letter workflow, examples/klicktipp-dead-letter.json, as shipped in a real n8n (each of E2E_VERSIONS,
 * and 1.123.81 when installed): KlickTipp Outbound Trigger → Send (error output) → n8n's Data Table; a Schedule
 * Trigger claims the due rows → Redeliver → delivered rows deleted, failed rows updated, dead rows marked and
 * reported to n8n's error workflow. Changed for the test, nothing else: the CRM host → a local receiver (Allow
 * Private Targets), Send's retry delay 20 ms, Redeliver's schedule "1s, 1s, 1s, 1s", the Schedule Trigger every 2 s
 * instead of every minute, an error workflow set. The data table is created the way `npm start` creates it (REST);
 * on n8n 1.x, whose Data Table node has no "By Name", the nodes are pointed at it by ID, as `npm start` does.
 *
 * The receiver answers 503 for the first attempts of each item (up to three redeliveries), then 200, for one item
 * 2.5 s late (longer than a tick, so runs overlap); one item always 503, one always 410 Gone. In the end every item was delivered exactly once (one 200 per webhook-id, the same
 * webhook-id, body and a valid fresh signature on every attempt of an item, redeliveries at least the schedule's 1 s
 * apart), none is lost, no row is left as failed; the 410 item is dead after one redelivery, the always-503 item after
 * the schedule's four; both stay in the table as dead and were reported once each to the error workflow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

import { dataTablesOf, ensureDataTables, pointDataTables } from '../../scripts/data-tables.mjs';
import {
	E2E_VERSIONS,
	hasNode,
	isInstalled,
	nodeOutput,
	OUTBOUND_TYPE,
	ROOT,
	sleep,
	startSingle,
	TRIGGER_TYPE,
	type SingleInstance,
	type WorkflowDefinition,
	type WorkflowNode,
} from './harness';
import { contactParams, CREDENTIAL_TYPE, credentialData, postForm, SECRETS } from './klicktipp';
import { always, failTimes, ok, Receiver, type ReceivedRequest } from './receiver';

const FILE = 'klicktipp-dead-letter.json';
const N8N_1 = process.env.KLICKTIPP_N8N1_VERSION || '1.123.81';
const SCHEDULE = '1s, 1s, 1s, 1s';
const REDELIVERIES = SCHEDULE.split(',').length;
const TICK_SECONDS = 2;
/** Longer than a tick: a run waiting for this receiver overlaps the next run. */
const SLOW_MS = 2500;
const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', FILE), 'utf8')) as WorkflowDefinition;
const sendNode = shipped.nodes.find((n) => n.type === OUTBOUND_TYPE && n.parameters.operation === 'send')!;
/** Send's own attempts within one execution (the example's Max Attempts). */
const SEND_ATTEMPTS = Number((sendNode.parameters.options as Record<string, unknown>).maxAttempts);
const TRIGGER_PATH = String(shipped.nodes.find((n) => n.type === TRIGGER_TYPE)!.parameters.path);

const skip = hasNode('trigger') && hasNode('outbound') ? false : 'the nodes are not built (dist/ missing)';
const versions = [...E2E_VERSIONS, N8N_1];
let seq = 700000 + (Math.floor(Date.now() / 1000) % 100000);
const nextId = () => String(++seq);
/** A secret typed into Send's Headers (issue 22): sent on every attempt, masked in every record and row, filled again by Redeliver's own Headers. */
const TYPED_HEADER = { header: [{ name: 'X-Api-Key', value: `typed-${randomBytes(12).toString('hex')}` }] };
const TYPED_SECRET = TYPED_HEADER.header[0].value;

/** The example with only the test's changes (see the file comment). */
function loadExample(receiverUrl: string, credentials: Map<string, { id: string; name: string }>, errorWorkflow: string): WorkflowDefinition {
	const text = JSON.stringify(shipped.nodes).replace(/https:\/\/crm\.example\.com/g, `${receiverUrl}/crm`);
	const nodes = (JSON.parse(text) as WorkflowNode[]).map((node) => {
		const out: WorkflowNode = { ...node };
		if (node.credentials) {
			out.credentials = Object.fromEntries(Object.entries(node.credentials).map(([type, ref]) => [type, credentials.get(ref.name)!]));
		}
		const options = (node.parameters.options ?? {}) as Record<string, unknown>;
		if (node.type === OUTBOUND_TYPE && node.parameters.operation === 'send') {
			// This test counts Send's attempts per contact exactly (Max Attempts, then the schedule): without the circuit
			// breaker and its host rule, which give an item more tries while other contacts fail too (receivers.test.ts
			// and test/reliability/receiver-mix.test.ts cover those).
			out.parameters = { ...node.parameters, options: { ...options, allowPrivateTargets: true, retryDelay: 20, headers: TYPED_HEADER, outageBudgetSeconds: 0 } };
		}
		if (node.type === OUTBOUND_TYPE && node.parameters.operation === 'redeliver') {
			out.parameters = { ...node.parameters, options: { ...options, allowPrivateTargets: true, schedule: SCHEDULE, headers: TYPED_HEADER, outageBudgetSeconds: 0 } };
		}
		if (node.type === 'n8n-nodes-base.scheduleTrigger') {
			out.parameters = { ...node.parameters, rule: { interval: [{ field: 'seconds', secondsInterval: TICK_SECONDS }] } };
		}
		return out;
	});
	return { ...shipped, name: `${shipped.name} (e2e)`, nodes, settings: { ...shipped.settings, errorWorkflow } };
}

/** The credentials the example names, created in n8n under those names: a signing secret where a node signs. */
async function createCredentials(n8n: SingleInstance): Promise<Map<string, { id: string; name: string }>> {
	const out = new Map<string, { id: string; name: string }>();
	for (const node of shipped.nodes) {
		for (const ref of Object.values(node.credentials ?? {})) {
			if (out.has(ref.name)) continue;
			const signs = shipped.nodes.some((n) => n.credentials?.[CREDENTIAL_TYPE]?.name === ref.name && n.parameters.authentication === 'signature');
			out.set(ref.name, await n8n.api.createCredential(ref.name, CREDENTIAL_TYPE, credentialData(signs ? 'signature' : 'apiKey')));
		}
	}
	return out;
}

interface Row {
	id: number;
	webhookId: string;
	outbound: string;
	status: string;
	attempts: number;
	nextAttemptAt: string | null;
	reason: string;
	record: string;
}

for (const version of versions) describe(`the dead-letter workflow in real n8n (n8n ${version})`, { skip, timeout: 10 * 60_000 }, () => {
	let n8n: SingleInstance | undefined;
	let unavailable = '';
	const receiver = new Receiver();
	let wfId = '';
	let errorWfId = '';
	let table = { id: '', projectId: '' };

	const rows = async (): Promise<Row[]> =>
		(await n8n!.api.rest('GET', `/rest/projects/${table.projectId}/data-tables/${table.id}/rows?take=50`)).data.data as Row[];

	before(async () => {
		if (!isInstalled(version)) {
			unavailable = `n8n ${version} is not installed (node scripts/ensure-n8n.mjs ${version})`;
			return;
		}
		await receiver.start();
		// n8n 1.x's legacy SQLite driver loses track of concurrent Data Table transactions ("Transaction is not started
		// yet") unless DB_SQLITE_POOL_SIZE is set (n8n-io/n8n#20290); overlapping dead-letter runs hit it. n8n's own
		// advice, and ours for users on 1.x (docs/real-n8n.md).
		n8n = await startSingle({ version, label: `dead-letter-${version}`, env: version.startsWith('1.') ? { DB_SQLITE_POOL_SIZE: '2' } : undefined });
		if (!(await n8n.api.nodeTypeNames()).includes('n8n-nodes-base.dataTable')) {
			unavailable = `n8n ${version} has no Data Table node`;
			return;
		}
		const tables = await ensureDataTables(async (method, urlPath, body) => await n8n!.api.rest(method, urlPath, body), dataTablesOf(shipped));
		assert.equal(tables.size, 1, 'the example names one data table');
		table = [...tables.values()][0];
		const credentials = await createCredentials(n8n);
		errorWfId = await n8n.api.createWorkflow({
			name: 'error workflow (e2e)',
			nodes: [{ name: 'Error Trigger', type: 'n8n-nodes-base.errorTrigger', typeVersion: 1, position: [0, 0], parameters: {} }],
			connections: {},
		});
		// n8n 2.x runs an error workflow only when it is published ("Workflow … is not active and cannot be executed");
		// 1.x runs it unpublished and refuses to publish a workflow whose only trigger is the Error Trigger
		if (Number(version.split('.')[0]) >= 2) await n8n.api.activate(errorWfId);
		const workflow = loadExample(receiver.url, credentials, errorWfId);
		// n8n 1.x's Data Table node finds a table only by ID: point the nodes at it, as `npm start` does
		wfId = await n8n.api.createAndActivate(version.startsWith('1.') ? pointDataTables(workflow, tables) : workflow);
		await n8n.api.waitForWebhook(n8n.webhookBase, TRIGGER_PATH);
	});

	after(async () => {
		await n8n?.stop();
		await receiver.stop();
	});

	it('delivers every item exactly once in the end, loses none, leaves no failed row; 410 and an exhausted schedule end dead, kept and reported', async (t) => {
		if (unavailable) return t.skip(unavailable);
		const direct = nextId();
		const flaky = [0, 1, 2, 3].map(() => nextId()); // fails Send and then k redeliveries, k = 0..3
		const down = nextId();
		const gone = nextId();
		const at = (id: string) => `/crm/api/contacts/${id}`;
		receiver.on(at(direct), ok);
		flaky.forEach((id, k) => receiver.on(at(id), failTimes(SEND_ATTEMPTS + k, 503)));
		// one receiver answers slowly, so runs overlap: the next run starts while this one still waits for it
		const slow = flaky[2];
		const slowly = failTimes(SEND_ATTEMPTS + 2, 503);
		receiver.on(at(slow), (n, req) => ({ ...slowly(n, req), delayMs: SLOW_MS }));
		receiver.on(at(down), always(503)).on(at(gone), always(410));

		for (const id of [direct, ...flaky, down, gone]) {
			const res = await postForm(n8n!.webhookUrl(TRIGGER_PATH), contactParams(id, { apiKey: SECRETS.apiKey }));
			assert.equal(res.status, 200, `contact ${id} accepted`);
		}

		// until every flaky item got its 200 and the table holds only dead rows
		const deadline = Date.now() + 180_000;
		let last: Row[] = [];
		for (;;) {
			last = await rows();
			const delivered = flaky.every((id) => receiver.at(at(id)).some((r) => r.status === 200));
			if (delivered && last.length === 2 && last.every((r) => r.status === 'dead')) break;
			if (Date.now() > deadline) {
				assert.fail(`not settled: rows ${JSON.stringify(last.map(({ record, ...r }) => r))}, requests ${receiver.requests.map((r) => `${r.path} ${r.status}`).join(', ')}`);
			}
			await sleep(500);
		}
		// three more ticks: nothing is sent again
		const settled = receiver.requests.length;
		await sleep(3 * TICK_SECONDS * 1000 + 500);
		assert.equal(receiver.requests.length, settled, 'no request after the end');

		const verifier = new Webhook(SECRETS.signingSecret);
		const webhookIdOf = (id: string): string => {
			const reqs = receiver.at(at(id));
			const ids = new Set(reqs.map((r) => r.headers['webhook-id']));
			assert.equal(ids.size, 1, `contact ${id}: one webhook-id on every attempt (${[...ids].join(', ')})`);
			assert.equal(new Set(reqs.map((r) => r.rawBody.toString('utf8'))).size, 1, `contact ${id}: the same body on every attempt`);
			for (const r of reqs) {
				verifier.verify(r.rawBody.toString('utf8'), {
					'webhook-id': String(r.headers['webhook-id']),
					'webhook-timestamp': String(r.headers['webhook-timestamp']),
					'webhook-signature': String(r.headers['webhook-signature']),
				});
			}
			return String([...ids][0]);
		};
		/** Redeliveries (the requests after Send's own attempts) wait at least the schedule's 1 s after the previous attempt. */
		const spacing = (reqs: ReceivedRequest[], sendAttempts: number) => {
			for (let i = sendAttempts; i < reqs.length; i++) {
				if (i === sendAttempts) continue; // the first redelivery is due when the row is stored
				assert.ok(reqs[i].at - reqs[i - 1].at >= 950, `redelivery ${i - sendAttempts + 1} came ${reqs[i].at - reqs[i - 1].at} ms after the previous attempt`);
			}
		};

		// delivered: exactly one 200 per webhook-id, after exactly the planned failures
		const delivered = new Map<string, number>();
		for (const r of receiver.requests) {
			if (r.status === 200) delivered.set(String(r.headers['webhook-id']), (delivered.get(String(r.headers['webhook-id'])) ?? 0) + 1);
		}
		assert.deepEqual(receiver.at(at(direct)).map((r) => r.status), [200], 'delivered by Send, never stored');
		flaky.forEach((id, k) => {
			const reqs = receiver.at(at(id));
			assert.deepEqual(
				reqs.map((r) => r.status),
				[...Array<number>(SEND_ATTEMPTS + k).fill(503), 200],
				`contact ${id}: Send's ${SEND_ATTEMPTS} attempts and ${k} failed redeliveries, then delivered once`,
			);
			spacing(reqs, SEND_ATTEMPTS);
		});
		const deliveredIds = [direct, ...flaky].map(webhookIdOf);
		assert.equal(new Set(deliveredIds).size, 5, 'five items, five webhook-ids');
		assert.deepEqual([...delivered.keys()].sort(), [...deliveredIds].sort(), 'distinct delivered webhook-ids: every delivered item');
		assert.ok([...delivered.values()].every((n) => n === 1), `one 200 per webhook-id: ${JSON.stringify([...delivered])}`);

		// dead: 410 after one redelivery, always-503 after the schedule's four; kept in the table
		assert.deepEqual(receiver.at(at(gone)).map((r) => r.status), [410, 410], 'Send once (410 is not retried), one redelivery');
		assert.equal(receiver.at(at(down)).length, SEND_ATTEMPTS + REDELIVERIES, 'Send and every redelivery of the schedule');
		spacing(receiver.at(at(down)), SEND_ATTEMPTS);
		const goneId = webhookIdOf(gone);
		const downId = webhookIdOf(down);
		const byId = new Map(last.map((r) => [r.webhookId, r]));
		assert.deepEqual([...byId.keys()].sort(), [goneId, downId].sort(), 'only the two dead items are left in the table');
		const goneRecord = JSON.parse(byId.get(goneId)!.record);
		assert.equal(goneRecord.status, 'dead');
		assert.equal(goneRecord.httpStatus, 410);
		assert.equal(goneRecord.attempts, 2);
		assert.equal(goneRecord.redeliveries, 1);
		assert.equal(byId.get(goneId)!.attempts, 2);
		const downRecord = JSON.parse(byId.get(downId)!.record);
		assert.equal(downRecord.status, 'dead');
		assert.equal(downRecord.attempts, SEND_ATTEMPTS + REDELIVERIES);
		assert.equal(downRecord.redeliveries, REDELIVERIES);
		for (const r of last) assert.equal(r.outbound, 'KlickTipp → CRM');
		assert.ok(!JSON.stringify(last).includes(SECRETS.signingSecret.slice('whsec_'.length)), 'no secret in the table');
		// the typed-in header: on every attempt (Send's and every redelivery), in no row and no execution's run data
		assert.ok(receiver.requests.every((r) => r.headers['x-api-key'] === TYPED_SECRET), 'the typed header on every attempt');
		assert.ok(!JSON.stringify(last).includes(TYPED_SECRET), 'the typed header in no row');
		assert.match(last[0].record, /"x-api-key":"\*\*\*"/);
		const withData = await n8n!.api.executions(wfId, { includeData: true });
		assert.ok(withData.some((e) => JSON.stringify(e.data?.resultData.runData ?? {}).includes('x-api-key')), 'the run data holds the records');
		for (const e of withData) assert.ok(!JSON.stringify(e.data?.resultData.runData ?? {}).includes(TYPED_SECRET), `the typed header in the run data of execution ${e.id}`);

		// reported: each dead item once, by "Report dead deliveries" (the last node run), to the error workflow
		const executions = await n8n!.api.executions(wfId);
		const failed = executions.filter((e) => e.status === 'error');
		for (const e of failed) {
			const full = await n8n!.api.execution(e.id);
			assert.equal(full.data?.resultData.lastNodeExecuted, 'Report dead deliveries', `execution ${e.id} failed elsewhere: ${JSON.stringify(full.data?.resultData.error)?.slice(0, 300)}`);
		}
		const reports = await n8n!.api.waitForExecutions(errorWfId, failed.length, { timeoutMs: 30_000 });
		const messages = reports.map((e) => String(nodeOutput(e, 'Error Trigger')[0]?.execution?.error?.message ?? ''));
		for (const id of [goneId, downId]) {
			assert.equal(messages.filter((m) => m.includes(id)).length, 1, `${id} reported once: ${JSON.stringify(messages)}`);
		}
		assert.ok(reports.every((e) => nodeOutput(e, 'Error Trigger')[0]?.execution?.lastNodeExecuted === 'Report dead deliveries'));
	});
});
