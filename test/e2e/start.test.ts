/**
 * `npm start` itself (scripts/start.mjs): starts n8n with our package on SQLite, creates the owner once, imports
 * examples/*.json once (each with its own demo credential attached) and the Demo CRM, publishes them, and prints the
 * editor URL, the login, the trigger webhook URLs and two curls. The first, run as printed, delivers the contact end
 * to end: trigger → "Send to CRM" → the Demo CRM workflow's execution holds the mapped contact. The second sends a
 * contact the Demo CRM refuses at first (503 to all of Send's attempts): it is parked in the dead-letter table as
 * failed, and the dead-letter workflow, run from its Schedule Trigger as the editor's "Execute workflow" does,
 * redelivers it: the Demo CRM accepts the same webhook-id and the row is deleted. A second start reuses all of it
 * (same key, same curls). Run with KLICKTIPP_SKIP_BUILD=1 (test:e2e has just built) and a temporary data folder and
 * free ports.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { DATA_TABLE_NODE_TYPE, dataTablesOf } from '../../scripts/data-tables.mjs';
import { baseEnv, DEFAULT_VERSION, type Execution, freePort, isInstalled, N8nApi, nodeOutput, nodeRan, OUTBOUND_TYPE, ROOT, sleep, tempUserFolder, TRIGGER_TYPE } from './harness';
import { contactParams, postForm } from './klicktipp';

const examples = fs.existsSync(path.join(ROOT, 'examples'))
	? fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'))
	: [];

async function runStart(userFolder: string, port: number): Promise<{ child: ChildProcess; output: string }> {
	const env = baseEnv(userFolder, {
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		KLICKTIPP_SKIP_BUILD: '1',
		KLICKTIPP_N8N_VERSION: DEFAULT_VERSION,
	});
	delete env.N8N_LISTEN_ADDRESS;
	const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'start.mjs')], {
		cwd: ROOT,
		env,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: true,
	});
	let output = '';
	child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
	child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
	const deadline = Date.now() + 300_000;
	while (!/Stop with Ctrl-C/.test(output)) {
		if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output.slice(-3000)}`);
		if (Date.now() > deadline) throw new Error(`npm start did not finish setting up:\n${output.slice(-3000)}`);
		await new Promise((r) => setTimeout(r, 250));
	}
	return { child, output };
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The two ready-to-paste curls of the banner (each a line of its own): the contact delivered at once, the one parked first. */
function printedCurls(output: string): [string, string] {
	const lines = output.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('curl '));
	assert.equal(lines.length, 2, `exactly two curls printed:\n${output.slice(-2500)}`);
	return [lines[0], lines[1]];
}

function runCurl(curl: string): unknown {
	const ran = spawnSync('bash', ['-c', curl], { encoding: 'utf8', timeout: 30_000 });
	assert.equal(ran.status, 0, ran.stderr);
	return JSON.parse(ran.stdout);
}

const CRM_EXAMPLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'klicktipp-to-crm.json'), 'utf8'));
const DEAD_LETTER_EXAMPLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'klicktipp-dead-letter.json'), 'utf8'));
/** How often the Demo CRM refuses the second curl's delivery: all of "Send to CRM"'s attempts (its Max Attempts). */
const REFUSALS = Number(CRM_EXAMPLE.nodes.find((n: { name: string }) => n.name === 'Send to CRM').parameters.options.maxAttempts);
const SCHEDULE_TRIGGER = DEAD_LETTER_EXAMPLE.nodes.find((n: { type: string }) => n.type === 'n8n-nodes-base.scheduleTrigger').name;

/**
 * Runs a workflow from one of its triggers as the editor's "Execute workflow" does (`POST /rest/workflows/:id/run`;
 * n8n 2.4.8 reads the workflow from the body, 2.41.1 from its database) and waits until the execution has finished.
 */
async function runFromTrigger(api: N8nApi, workflowId: string, trigger: string): Promise<Execution> {
	const workflowData = (await api.rest('GET', `/rest/workflows/${workflowId}`)).data;
	const started = await api.rest('POST', `/rest/workflows/${workflowId}/run`, { workflowData, triggerToStartFrom: { name: trigger } });
	const id = String(started.data.executionId);
	const deadline = Date.now() + 60_000;
	for (;;) {
		const exec = await api.execution(id).catch(() => undefined);
		if (exec && !['new', 'running', 'waiting', 'unknown'].includes(exec.status)) return exec;
		assert.ok(Date.now() < deadline, `execution ${id} of workflow ${workflowId} did not finish`);
		await sleep(250);
	}
}

/**
 * The banner's second curl, as printed: the Demo CRM answers 503 to all of Send's attempts of this delivery, so it is
 * parked in the dead-letter table as failed (the row keeps the request); the dead-letter workflow, run from its
 * Schedule Trigger once the record is due, redelivers it with the same webhook-id, the Demo CRM accepts it, the row
 * is deleted.
 */
async function checkParkedAndRedelivered(api: N8nApi, output: string, curl: string, demoCrmId: string): Promise<void> {
	assert.match(curl, /email=erika\.musterfrau@fails-at-first\.example/);
	assert.match(output, new RegExp(`The Demo CRM answers 503 to the first ${REFUSALS} requests of this delivery`));
	const table = /data table "KlickTipp dead letters": http:\/\/localhost:\d+\/projects\/(\S+)\/datatables\/(\S+)/.exec(output);
	assert.ok(table, 'the dead-letter table printed');
	const deadLetterId = new RegExp(`- ${escapeRe(DEAD_LETTER_EXAMPLE.name)} \\([^()]*\\): \\S+/workflow/(\\S+)`).exec(output)?.[1];
	assert.ok(deadLetterId, 'the dead-letter workflow printed');
	assert.match(output, new RegExp(`open\\s+http://localhost:\\d+/workflow/${deadLetterId} and "Execute workflow" from "${escapeRe(SCHEDULE_TRIGGER)}"`), 'how to redeliver now');
	const rows = async (): Promise<Array<Record<string, any>>> =>
		(await onceMore(() => api.rest('GET', `/rest/projects/${table[1]}/data-tables/${table[2]}/rows`))).data.data.filter((r: { contactId: unknown }) => r.contactId === '4713');

	assert.deepEqual({ ...(runCurl(curl) as object), eventId: undefined }, { status: 'accepted', event: 'contactData', eventId: undefined, isTest: false });
	// parked: one row, failed after Send's attempts, each refused by the Demo CRM with the same webhook-id
	let parked: Array<Record<string, any>> = [];
	for (const deadline = Date.now() + 60_000; (parked = await rows()).length === 0 && Date.now() < deadline; ) await sleep(250);
	assert.equal(parked.length, 1, 'the refused delivery is parked in the dead-letter table');
	const [row] = parked;
	assert.equal(row.status, 'failed');
	assert.equal(row.attempts, REFUSALS);
	assert.match(row.reason, /^HTTP 503: .*simulated outage/);
	const record = JSON.parse(row.record);
	assert.equal(record.request.webhookId, row.webhookId);
	const refused = (await onceMore(() => api.waitForExecutions(demoCrmId, 1 + REFUSALS, { timeoutMs: 30_000 }))).slice(1);
	for (const exec of refused) {
		assert.equal(nodeOutput(exec, 'Demo CRM receives')[0].headers['webhook-id'], row.webhookId);
		assert.ok(nodeRan(exec, 'Answer 503 (try later)') && !nodeRan(exec, 'Answer 200 (stored)'), `execution ${exec.id} answered 503`);
	}

	// redelivered: the dead-letter workflow run now (its schedule would do it within a minute), once the record is due
	// (Redeliver's first wait after Send's failure); a run of the schedule may take it first, then ours finds nothing
	const due = Date.parse(record.firstAttemptAt) + record.durationMs + 5_000;
	await sleep(Math.max(0, due - Date.now()) + 250);
	for (let run = 1; (await rows()).length > 0; run++) {
		assert.ok(run <= 3, `the row is still there after ${run - 1} runs: ${JSON.stringify(await rows())}`);
		if (run > 1) await sleep(2000);
		await runFromTrigger(api, deadLetterId, SCHEDULE_TRIGGER);
	}
	const received = await onceMore(() => api.waitForExecutions(demoCrmId, 2 + REFUSALS, { timeoutMs: 30_000 }));
	const last = received[received.length - 1];
	assert.ok(nodeRan(last, 'Answer 200 (stored)'), 'the redelivery is accepted');
	const [request] = nodeOutput(last, 'Demo CRM receives');
	assert.equal(request.headers['webhook-id'], row.webhookId, 'the same webhook-id');
	assert.deepEqual(request.body, JSON.parse(record.request.body));
	assert.equal(request.body.email, 'erika.musterfrau@fails-at-first.example');
	const redelivered = (await api.executions(deadLetterId, { includeData: true }))
		.flatMap((e) => nodeOutput(e, 'Redeliver unsigned'))
		.filter((r) => r.request?.webhookId === row.webhookId);
	assert.deepEqual(
		redelivered.map((r) => [r.status, r.attempts, r.redeliveries]),
		[['delivered', REFUSALS + 1, 1]],
		'delivered by the dead-letter workflow, once',
	);
}

/**
 * Runs a read-only API call again once when n8n closed an idle keep-alive connection just as the request went out
 * (undici: "other side closed"); the loaded 2-core CI machine hits that race after the curl's idle pause.
 */
async function onceMore<T>(read: () => Promise<T>): Promise<T> {
	try {
		return await read();
	} catch (e: any) {
		if (e?.cause?.code !== 'UND_ERR_SOCKET') throw e;
		return await read();
	}
}

async function stop(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.pid === undefined) return;
	const done = new Promise((r) => child.once('exit', r));
	child.kill('SIGINT'); // start.mjs forwards it to n8n and exits with it
	const t = setTimeout(() => {
		try {
			process.kill(-child.pid!, 'SIGKILL');
		} catch {
			/* gone */
		}
	}, 20_000);
	await done;
	clearTimeout(t);
}

/**
 * The data tables the examples name: printed, created with the columns the example maps, the imported example's
 * Data Table nodes pointed at them by ID; a contact sent to that example's trigger, whose delivery to
 * crm.example.com fails, lands in the table as a failed row. Returns table name → ID.
 */
async function checkDataTables(api: N8nApi, output: string, port: number): Promise<Map<string, string>> {
	const ids = new Map<string, string>();
	for (const file of examples) {
		const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
		const tables = dataTablesOf(wf);
		if (tables.size === 0) continue;
		const workflowId = new RegExp(`- ${escapeRe(wf.name)} \\([^()]*\\): \\S+/workflow/(\\S+)`).exec(output)?.[1];
		assert.ok(workflowId, `examples/${file} printed`);
		const imported = await api.workflow(workflowId);
		let rows: () => Promise<Array<Record<string, unknown>>> = async () => [];
		for (const [name, columns] of tables) {
			const printed = new RegExp(`data table "${escapeRe(name)}": http://localhost:${port}/projects/(\\S+)/datatables/(\\S+)`).exec(output);
			assert.ok(printed, `data table "${name}" printed:\n${output.slice(-2500)}`);
			const [, projectId, id] = printed;
			ids.set(name, id);
			const listed = (await api.rest('GET', `/rest/projects/${projectId}/data-tables?filter=${encodeURIComponent(JSON.stringify({ name }))}`)).data.data;
			const table = listed.find((t: { name: string }) => t.name === name);
			assert.equal(table?.id, id, `data table "${name}" exists`);
			assert.deepEqual(
				table.columns.map((c: { name: string; type: string }) => `${c.name}: ${c.type}`).sort(),
				columns.map((c) => `${c.name}: ${c.type}`).sort(),
				'the columns the example maps',
			);
			const named = wf.nodes.filter((n: { type: string; parameters: { dataTableId?: { value?: string } } }) => n.type === DATA_TABLE_NODE_TYPE && n.parameters.dataTableId?.value === name);
			for (const node of imported.nodes.filter((n: { name: string }) => named.some((m: { name: string }) => m.name === n.name))) {
				assert.equal(node.parameters.dataTableId.value, id, `"${node.name}" points at the table by ID`);
			}
			const before = rows;
			rows = async () => [...(await before()), ...(await api.rest('GET', `/rest/projects/${projectId}/data-tables/${id}/rows`)).data.data];
		}
		// the example's own failed deliveries, by outbound name (another example may store into the same table)
		const outbounds = new Set(wf.nodes.filter((n: { type: string }) => n.type === OUTBOUND_TYPE).map((n: { parameters: { outboundName?: string } }) => n.parameters.outboundName));
		const all = rows;
		rows = async () => (await all()).filter((r) => outbounds.has(r.outbound) && /crm\.example\.com\/api\/contacts\/4712/.test(String(r.record)));
		const trigger = wf.nodes.find((n: { type: string }) => n.type === TRIGGER_TYPE);
		// the demo points the CRM example's "Send to CRM" at the Demo CRM, so its contact is delivered, not stored
		if (!trigger || file === 'klicktipp-to-crm.json') continue;
		const key = new RegExp(`- ${escapeRe(wf.name)} \\([^\\n]*\\n +credential "[^"]+", API key (\\S+)`).exec(output)?.[1];
		assert.ok(key, `examples/${file}: its key printed`);
		const res = await postForm(`http://127.0.0.1:${port}/webhook/${trigger.parameters.path}`, contactParams(4712, { apiKey: key }));
		assert.equal(res.status, 200, await res.text());
		const deadline = Date.now() + 60_000;
		let found: Array<Record<string, unknown>> = [];
		while ((found = await rows()).length === 0 && Date.now() < deadline) await sleep(500);
		assert.equal(found.length, 1, `examples/${file}: the failed delivery is stored`);
		assert.equal(found[0].status, 'failed');
		assert.match(String(found[0].record), /crm\.example\.com\/api\/contacts\/4712/);
	}
	return ids;
}

describe('npm start', { skip: isInstalled(DEFAULT_VERSION) ? false : `n8n ${DEFAULT_VERSION} is not installed` }, () => {
	const userFolder = tempUserFolder('start');
	let child: ChildProcess | undefined;

	after(async () => {
		if (child) await stop(child);
		if (!process.env.KLICKTIPP_E2E_KEEP) fs.rmSync(userFolder, { recursive: true, force: true });
	});

	it('starts n8n with our nodes, creates the owner, imports and publishes the examples, prints a curl that delivers a contact to the Demo CRM and one whose delivery is parked and redelivered; a second start reuses them', async (t) => {
		const port = await freePort();
		const first = await runStart(userFolder, port);
		child = first.child;
		assert.match(first.output, new RegExp(`Editor: +http://localhost:${port}/`));
		const login = /Login: +(\S+) \/ (\S+) +\(owner created now\)/.exec(first.output);
		assert.ok(login, `no login printed:\n${first.output.slice(-1500)}`);
		assert.ok(fs.existsSync(path.join(userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-klicktipp-outbound', 'dist')));

		const api = new N8nApi(`http://127.0.0.1:${port}`);
		await api.login(login[1], login[2]);
		await api.createApiKey();
		const types = await api.nodeTypeNames();
		assert.ok(types.includes(TRIGGER_TYPE) && types.includes(OUTBOUND_TYPE), 'our node types are loaded');
		for (const file of examples) {
			const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
			assert.match(first.output, new RegExp(`- ${escapeRe(wf.name)} \\(imported, published\\)`));
			for (const node of wf.nodes as Array<{ type: string; name: string }>) {
				assert.ok(types.includes(node.type), `examples/${file}: node "${node.name}" has unknown type ${node.type}`);
			}
			if ((wf.nodes as Array<{ type: string }>).some((n) => n.type === TRIGGER_TYPE)) {
				assert.match(first.output, new RegExp(`production http://localhost:${port}/webhook/\\S+`));
			}
		}

		// the printed curl, run as printed: accepted (no 401), delivered to the Demo CRM in the same n8n
		const curls = printedCurls(first.output);
		const [curl] = curls;
		const demoCrm = /- Demo CRM \(receives the outbound\) \(imported, published\): \S+\/workflow\/(\S+)/.exec(first.output);
		assert.ok(demoCrm, `Demo CRM not printed:\n${first.output.slice(-2500)}`);
		assert.match(first.output, new RegExp(`See it arrive: http://localhost:${port}/workflow/${demoCrm[1]}/executions`));
		const ran = spawnSync('bash', ['-c', curl], { encoding: 'utf8', timeout: 30_000 });
		assert.equal(ran.status, 0, ran.stderr);
		assert.deepEqual(
			{ ...JSON.parse(ran.stdout), eventId: undefined },
			{ status: 'accepted', event: 'contactData', eventId: undefined, isTest: false },
			`curl answered: ${ran.stdout}`,
		);
		const [received] = await onceMore(() => api.waitForExecutions(demoCrm[1], 1, { timeoutMs: 60_000 }));
		assert.equal(received.status, 'success');
		const [request] = nodeOutput(received, 'Demo CRM receives');
		assert.deepEqual(request.body, {
			email: 'max.mustermann@example.de',
			SubscriberID: '4711',
			first_name: 'Jürgen',
			last_name: 'Müller',
			phone: '+49170123456',
			plan: 'Gold',
			source: 'klicktipp',
		});
		assert.doesNotMatch(JSON.stringify(received), new RegExp(escapeRe(/apiKey=(\S+?)'/.exec(curl)![1])), 'the key is in no execution');
		const parkedStarted = Date.now();
		await checkParkedAndRedelivered(api, first.output, curls[1], demoCrm[1]);
		t.diagnostic(`the second curl, parked and redelivered: ${((Date.now() - parkedStarted) / 1000).toFixed(1)} s`);
		const tables = await checkDataTables(api, first.output, port);
		await stop(first.child);

		const second = await runStart(userFolder, port);
		child = second.child;
		assert.match(second.output, /Login: +\S+ \/ \S+/);
		assert.doesNotMatch(second.output, /owner created now/);
		for (const file of examples) {
			const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8'));
			assert.ok(second.output.includes(`- ${wf.name} (already imported, published)`), `examples/${file} imported twice?`);
		}
		assert.deepEqual(printedCurls(second.output), curls, 'the same key and curls on the second start');
		for (const [name, id] of tables) assert.ok(second.output.includes(`/datatables/${id}`), `data table "${name}" created once, reused`);
		await stop(second.child);
		child = undefined;
	});
});
