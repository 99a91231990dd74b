/**
 * The example workflows in examples/ run as shipped in a real n8n (each of E2E_VERSIONS: 2.41.1 on Node 24, 2.4.8
 * on Node 20): only the placeholder hosts
 * (crm.example.com, shop.example.com) are pointed at a local receiver (which needs allowPrivateTargets), and each
 * trigger gets a real API-key credential of its own (as the examples reference one each). KlickTipp → CRM delivers
 * the mapped contact and parks a failed delivery in the dead-letter table; KlickTipp's "Save and test" request (contact 12345, isTest: true) is routed aside in both
 * examples and reaches no system. The deletion example (its own trigger, Event Type = Deletion Request) takes a
 * request without any marker as a deletion, calls both targets with DELETE, writes each outcome to its ledger (a
 * Data Table) and redelivers the failed one on its schedule (compressed here: every 2 s, Redeliver's schedule 1 s)
 * until the ledger shows both delivered. The dead-letter example (Data Table, Schedule Trigger, Redeliver) has a
 * file of its own: dead-letter.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { dataTablesOf, ensureDataTables } from '../../scripts/data-tables.mjs';
import { hasNode, nodeOutput, nodeRan, OUTBOUND_TYPE, ROOT, sleep, startSingle, TRIGGER_TYPE, type Execution, type SingleInstance, type WorkflowDefinition, type WorkflowNode, E2E_VERSIONS } from './harness';
import { contactParams, CREDENTIAL_TYPE, credentialData, postForm, SECRETS } from './klicktipp';
import { always, failTimes, ok, Receiver } from './receiver';

const LEDGER = 'KlickTipp deletion ledger';
const DEAD_LETTERS = 'KlickTipp dead letters';
const DELETIONS = 'klicktipp-deletions';
/** The deletion example's Max Attempts for Send. */
const SHOP_SEND_ATTEMPTS = 3;

interface LedgerRow {
	eventId: string;
	receivedAt: string;
	contactId: string;
	outbound: string;
	status: string;
	httpStatus: number | null;
	attempts: number;
	at: string;
	record: string;
}

const skip = hasNode('trigger') && hasNode('outbound') ? false : 'the nodes are not built (dist/ missing)';

function loadExample(file: string, receiverUrl: string, credential: { id: string; name: string }): WorkflowDefinition {
	const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as WorkflowDefinition;
	const text = JSON.stringify(wf.nodes).replace(/https:\/\/(crm|shop)\.example\.com/g, `${receiverUrl}/$1`);
	const nodes = (JSON.parse(text) as WorkflowNode[]).map((node) => {
		if (node.type === TRIGGER_TYPE) return { ...node, credentials: { [CREDENTIAL_TYPE]: credential } };
		if (node.type === OUTBOUND_TYPE) {
			const options = (node.parameters.options ?? {}) as Record<string, unknown>;
			const redeliver = node.parameters.operation === 'redeliver' ? { schedule: '1s, 1s, 1s' } : { retryDelay: 20 };
			return { ...node, parameters: { ...node.parameters, options: { ...options, allowPrivateTargets: true, ...redeliver } } };
		}
		// the redelivery schedule every 2 s instead of every minute (the hourly check stays as it is)
		if (node.type === 'n8n-nodes-base.scheduleTrigger' && node.name === 'Every minute') {
			return { ...node, parameters: { ...node.parameters, rule: { interval: [{ field: 'seconds', secondsInterval: 2 }] } } };
		}
		return node;
	});
	return { ...wf, name: `${wf.name} (e2e)`, nodes };
}

for (const version of E2E_VERSIONS) describe(`examples/ in real n8n (n8n ${version})`, { skip }, () => {
	let n8n: SingleInstance;
	const receiver = new Receiver();
	const wf: Record<string, string> = {};

	const tables = new Map<string, { id: string; projectId: string }>();

	before(async () => {
		await receiver.start();
		n8n = await startSingle({ version, label: `examples-${version}` });
		const contacts = await n8n.api.createCredential('KlickTipp key (contacts)', CREDENTIAL_TYPE, credentialData('apiKey'));
		const deletions = await n8n.api.createCredential('KlickTipp key (deletions)', CREDENTIAL_TYPE, credentialData('apiKey'));
		// the data tables the examples name, created the way `npm start` creates them
		for (const file of ['klicktipp-to-crm.json', 'klicktipp-deletion-requests.json']) {
			const shipped = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as WorkflowDefinition;
			const created = await ensureDataTables(async (method, urlPath, body) => await n8n.api.rest(method, urlPath, body), dataTablesOf(shipped));
			for (const [name, ref] of created) tables.set(name, ref);
		}
		wf.crm = await n8n.api.createAndActivate(loadExample('klicktipp-to-crm.json', receiver.url, contacts));
		wf.deletion = await n8n.api.createAndActivate(loadExample('klicktipp-deletion-requests.json', receiver.url, deletions));
		for (const p of ['klicktipp-contacts', DELETIONS]) await n8n.api.waitForWebhook(n8n.webhookBase, p);
	});

	/** The first finished execution the deletion trigger started (its schedule triggers run the same workflow). */
	const webhookExecution = async (workflowId: string): Promise<Execution> => {
		const deadline = Date.now() + 30_000;
		for (;;) {
			const found = (await n8n.api.executions(workflowId)).find((e) => e.mode === 'webhook' && e.finished !== undefined && !['new', 'running', 'waiting'].includes(e.status));
			if (found) return await n8n.api.execution(found.id);
			if (Date.now() > deadline) assert.fail('no execution of the deletion trigger');
			await sleep(300);
		}
	};

	const tableRows = async (name: string): Promise<Array<Record<string, unknown>>> => {
		const table = tables.get(name)!;
		return (await n8n.api.rest('GET', `/rest/projects/${table.projectId}/data-tables/${table.id}/rows?take=100`)).data.data as Array<Record<string, unknown>>;
	};
	const ledgerRows = async (contactId: string): Promise<LedgerRow[]> => ((await tableRows(LEDGER)) as unknown as LedgerRow[]).filter((r) => r.contactId === contactId);

	after(async () => {
		await n8n?.stop();
		await receiver.stop();
	});

	it("each example references credentials of its own (opening one never attaches another's)", () => {
		const files = fs.readdirSync(path.join(ROOT, 'examples')).filter((f) => f.endsWith('.json'));
		const names = files.map((file) => {
			const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', file), 'utf8')) as WorkflowDefinition;
			const refs = wf.nodes.flatMap((n) => Object.values(n.credentials ?? {}).map((c) => c.name));
			assert.ok(refs.length > 0, `examples/${file}: the trigger references its credential by name`);
			return new Set(refs);
		});
		for (let i = 0; i < files.length; i++) {
			for (let j = i + 1; j < files.length; j++) {
				assert.deepEqual([...names[i]].filter((n) => names[j].has(n)), [], `${files[i]} and ${files[j]} share a credential`);
			}
		}
	});

	it("KlickTipp → CRM: KlickTipp's test request (contact 12345) is routed aside and never reaches the CRM", async () => {
		const before = receiver.requests.length;
		const res = await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(12345, { apiKey: SECRETS.apiKey }));
		assert.equal(res.status, 200);
		assert.equal(((await res.json()) as { isTest: boolean }).isTest, true);
		const [exec] = await n8n.api.waitForExecutions(wf.crm, 1);
		assert.equal(exec.status, 'success');
		assert.equal(nodeOutput(exec, 'Test event (not sent)')[0].contact.id, '12345');
		assert.ok(!nodeRan(exec, 'Send to CRM'), 'Send to CRM did not run');
		assert.equal(receiver.requests.length, before, 'nothing reached the receiver');
	});

	it('KlickTipp → CRM: refuses a request without the key; delivers the mapped contact with the key', async () => {
		assert.equal((await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(7001))).status, 401);
		const res = await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(7002, { apiKey: SECRETS.apiKey }));
		assert.equal(res.status, 200);
		const execs = await n8n.api.waitForExecutions(wf.crm, 2);
		const exec = execs[execs.length - 1];
		const [got] = await receiver.waitFor('/crm/api/contacts/7002', 1);
		assert.equal(got.method, 'POST');
		assert.deepEqual(got.body, {
			email: 'max.mustermann+7002@example.de',
			SubscriberID: '7002',
			first_name: 'Jürgen',
			last_name: 'Müller-Lüdenscheidt',
			phone: '+491701234567',
			plan: 'Gold Kunde',
			source: 'klicktipp',
		});
		assert.equal(nodeOutput(exec, 'Send to CRM')[0].status, 'delivered');
		assert.ok(nodeRan(exec, 'Delivered') && !nodeRan(exec, 'Park for redelivery'));
		assert.ok(!nodeRan(exec, 'Test event (not sent)'));
	});

	it('KlickTipp → CRM keeps what fails: a failed delivery is parked in the dead-letter table, replayable', async () => {
		receiver.on('/crm/api/contacts/7003', always(503));
		const res = await postForm(n8n.webhookUrl('klicktipp-contacts'), contactParams(7003, { apiKey: SECRETS.apiKey }));
		assert.equal(res.status, 200);
		const deadline = Date.now() + 30_000;
		let parked: Array<Record<string, unknown>> = [];
		while ((parked = (await tableRows(DEAD_LETTERS)).filter((r) => r.contactId === '7003')).length === 0) {
			if (Date.now() > deadline) assert.fail('nothing parked');
			await sleep(300);
		}
		assert.equal(parked.length, 1);
		assert.equal(parked[0].status, 'failed');
		assert.equal(parked[0].outbound, 'KlickTipp → CRM');
		const record = JSON.parse(String(parked[0].record)) as { status: string; attempts: number; request: { method: string; url: string; webhookId: string } };
		assert.equal(record.status, 'failed');
		assert.equal(record.request.method, 'POST');
		assert.match(record.request.url, /\/crm\/api\/contacts\/7003$/);
		assert.equal(parked[0].webhookId, record.request.webhookId);
		assert.equal(receiver.at('/crm/api/contacts/7003').length, record.attempts, "Send's attempts, nothing lost");
	});

	it("deletion example: KlickTipp's test deletion request (contact 12345) deletes nothing", async () => {
		const before = receiver.requests.length;
		const res = await postForm(n8n.webhookUrl(DELETIONS), { SubscriberID: '12345', email: 'test@example.de', apiKey: SECRETS.apiKey });
		assert.equal(res.status, 200);
		const exec = await webhookExecution(wf.deletion);
		assert.equal(exec.status, 'success');
		assert.equal(nodeOutput(exec, 'Test event (not sent)')[0].contact.id, '12345');
		assert.ok(!nodeRan(exec, 'Delete in CRM') && !nodeRan(exec, 'Delete in shop'));
		assert.equal(receiver.requests.length, before, 'nothing reached the receiver');
	});

	it('deletion request without any marker → DELETE to CRM and shop (shop failing first) → the ledger ends with both delivered after Redeliver', async () => {
		const id = String(7100 + Math.floor(Math.random() * 800));
		receiver.on(`/crm/api/contacts/${id}`, ok);
		receiver.on(`/shop/api/customers/${id}`, failTimes(SHOP_SEND_ATTEMPTS, 503));
		const res = await postForm(n8n.webhookUrl(DELETIONS), { SubscriberID: id, email: 'weg@example.de', apiKey: SECRETS.apiKey });
		assert.equal(res.status, 200);
		const answer = (await res.json()) as { event: string; eventId: string };
		assert.equal(answer.event, 'deletionRequest', 'a dedicated deletion trigger: no marker needed');

		const deadline = Date.now() + 60_000;
		let rows: LedgerRow[] = [];
		while (!((rows = await ledgerRows(id)).length === 2 && rows.every((r) => r.status === 'delivered'))) {
			if (Date.now() > deadline) assert.fail(`ledger not settled: ${JSON.stringify(rows.map(({ record, ...r }) => r))}`);
			await sleep(500);
		}
		const [crm] = receiver.at(`/crm/api/contacts/${id}`);
		assert.equal(crm.method, 'DELETE');
		assert.deepEqual(crm.query, { contact_id: id });
		assert.equal(crm.rawBody.length, 0, 'DELETE sends no body');
		const shop = receiver.at(`/shop/api/customers/${id}`);
		assert.deepEqual(shop.map((r) => `${r.method} ${r.status}`), [...Array<string>(SHOP_SEND_ATTEMPTS).fill('DELETE 503'), 'DELETE 200'], "Send's attempts, then Redeliver");
		assert.equal(new Set(shop.map((r) => r.headers['user-agent'])).size, 1);

		rows.sort((a, b) => a.outbound.localeCompare(b.outbound));
		for (const row of rows) {
			assert.equal(row.eventId, answer.eventId, 'the event id the trigger answered');
			assert.ok(Date.parse(String(row.receivedAt)) <= Date.parse(String(row.at)), `received ${row.receivedAt} before ${row.at}`);
			assert.equal(row.httpStatus, 200);
			assert.doesNotMatch(JSON.stringify(row), /weg@example\.de/, 'a delivered row keeps no email (its record is cleared)');
		}
		const runs = await n8n.api.executions(wf.deletion);
		assert.deepEqual(runs.filter((e) => e.status === 'error').map((e) => e.id), [], 'no execution of the deletion workflow failed (ledger, hold-back, redelivery)');
		assert.deepEqual(
			rows.map((r) => [r.outbound, r.contactId, r.status, r.attempts]),
			[
				['Deletion → CRM', id, 'delivered', 1],
				['Deletion → shop', id, 'delivered', SHOP_SEND_ATTEMPTS + 1],
			],
		);
	});
	it("deletion wins: a delivered deletion marks that contact's parked contact data (deletionDeliveredAt), which Redeliver then supersedes", async () => {
		// 7003 was parked by the CRM example above; its CRM now answers, so the deletion is delivered at once
		receiver.on('/crm/api/contacts/7003', ok);
		receiver.on('/shop/api/customers/7003', ok);
		const res = await postForm(n8n.webhookUrl(DELETIONS), { SubscriberID: '7003', email: 'max.mustermann+7003@example.de', apiKey: SECRETS.apiKey });
		assert.equal(res.status, 200);
		const deadline = Date.now() + 30_000;
		let parked: Array<Record<string, unknown>> = [];
		while (!(parked = (await tableRows(DEAD_LETTERS)).filter((r) => r.contactId === '7003')).every((r) => r.deletionDeliveredAt)) {
			if (Date.now() > deadline) assert.fail(`not marked: ${JSON.stringify(parked.map(({ record, ...r }) => r))}`);
			await sleep(300);
		}
		assert.equal(parked.length, 1);
		const record = JSON.parse(String(parked[0].record)) as { firstAttemptAt: string };
		assert.ok(Date.parse(String(parked[0].deletionDeliveredAt)) >= Date.parse(record.firstAttemptAt), 'marked after the contact data was captured');
		assert.ok(Date.parse(String(parked[0].nextAttemptAt)) <= Date.now(), 'due now, so the next Redeliver run supersedes and deletes it');
	});
});
