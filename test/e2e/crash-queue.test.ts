/**
 * What survives a crash in queue mode (issue 21), opt-in: KLICKTIPP_E2E_CRASH_QUEUE=1 (Redis, PostgreSQL, a main, a
 * webhook processor and one worker take about a minute to start per version).
 *
 * A worker is killed (SIGKILL) in the middle of a Send of N items; a new worker is started; the execution is then
 * observed (its status once n8n's stall check has run, shortened here to a 6 s lock checked every 3 s through n8n's
 * own QUEUE_WORKER_LOCK_DURATION / QUEUE_WORKER_STALLED_INTERVAL) and retried through the main's REST API as the
 * Retry button does. What happens is recorded (`[crash-queue]` line) and asserted where it is our contract: no
 * contact ever reaches the receiver with two different IDs.
 *
 * Then the webhook processor is killed during a burst of KlickTipp requests to our trigger (8 at a time): how many
 * were answered 200 `accepted`, and how many of those became an execution (`[crash-queue]` line: answered,
 * executedOfAnswered, lostAnswered). On 2.41.x asserted: none answered `accepted` is lost (n8n answers after storing
 * and enqueueing); 2.4.x answers first and is only recorded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

import { E2E_VERSIONS, hasNode, isInstalled, sleep, spawnN8n, type Execution } from './harness';
import { connect, contactParams, outboundNode, postForm, triggerNode } from './klicktipp';
import { startQueue, type QueueInstance } from './queue';
import { Receiver } from './receiver';
import { missingServices } from './services';

const N = Number(process.env.KLICKTIPP_E2E_CRASH_ITEMS || 120);
/**
 * What a Retry of the killed worker's execution does is a race in n8n, seen on 2.4.8 both ways: either the execution
 * reads `crashed` with its run data kept and the Retry sends every item again (0 lost, what was sent before the kill
 * twice, same IDs), or Bull's stall check wins, the execution ends `error` with no run data and its Retry ends
 * `error` without sending anything (the rest is lost). The test asserts it is one of the two and records which.
 */
const missing = missingServices();
const skip = !process.env.KLICKTIPP_E2E_CRASH_QUEUE
	? 'opt-in: KLICKTIPP_E2E_CRASH_QUEUE=1'
	: !hasNode('outbound')
		? 'dist/ missing (run npm run build)'
		: missing.length > 0
			? `not installed: ${missing.join(', ')}`
			: false;

for (const version of E2E_VERSIONS) {
	describe(`what survives a crash in queue mode: a worker killed mid-Send (n8n ${version})`, { skip: skip || (!isInstalled(version) && `n8n ${version} not installed`) }, () => {
		let q: QueueInstance;
		const receiver = new Receiver();
		const figures: Record<string, unknown> = { version, items: N };
		let started = Date.now();

		before(async () => {
			started = Date.now();
			await receiver.start();
			receiver.on('/queue-crash', () => ({ status: 200, body: '{}', delayMs: 60 }));
			q = await startQueue({ version, workers: 1, env: { QUEUE_WORKER_LOCK_DURATION: '6000', QUEUE_WORKER_STALLED_INTERVAL: '3000' } });
		});
		after(async () => {
			figures.totalSeconds = Math.round((Date.now() - started) / 1000);
			console.log(`[crash-queue] ${JSON.stringify(figures)}`);
			await q?.stop();
			await receiver.stop();
		});

		it('records what happens to the Send and to a Retry; never two IDs for one contact', async () => {
			const wfId = await q.api.createAndActivate({
				name: 'queue crash',
				nodes: [
					{
						name: 'Webhook',
						type: 'n8n-nodes-base.webhook',
						typeVersion: 2,
						position: [0, 0],
						webhookId: randomUUID(),
						parameters: { httpMethod: 'POST', path: 'queue-crash', responseMode: 'onReceived', options: {} },
					},
					{ name: 'Split Out', type: 'n8n-nodes-base.splitOut', typeVersion: 1, position: [200, 0], parameters: { fieldToSplitOut: 'body.contacts', options: {} } },
					outboundNode('Send', {
						outboundName: 'queue',
						url: `${receiver.url}/queue-crash`,
						method: 'POST',
						format: 'json',
						fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'contact_id', defaultValue: '' }] },
						authentication: 'none',
						options: { allowPrivateTargets: true },
					}),
				],
				connections: connect([['Webhook', 'Split Out'], ['Split Out', 'Send']]),
			});
			await q.api.waitForWebhook(q.webhookBase, 'queue-crash', 60_000);
			const items = Array.from({ length: N }, (_, i) => ({ eventId: `evt_q_${i + 1}`, contact: { id: String(i + 1), email: `q${i + 1}@example.de` } }));
			const res = await fetch(q.webhookUrl('queue-crash'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contacts: items }) });
			assert.equal(res.status, 200);
			while (receiver.at('/queue-crash').length < N / 2) await sleep(5);
			const worker = q.workers[0];
			const gone = new Promise<void>((r) => worker.child.once('exit', () => r()));
			worker.killNow();
			await gone;
			await sleep(300);
			figures.killedAfterRequests = receiver.at('/queue-crash').length;
			const replacement = await spawnN8n({ version, userFolder: q.userFolder, command: 'worker', args: ['--concurrency=10'], label: 'queue-worker-2', env: q.sharedEnv });
			q.workers.push(replacement);

			// wait until n8n has decided about the execution (or 60 s)
			let exec: Execution | undefined;
			const deadline = Date.now() + 60_000;
			do {
				await sleep(1000);
				[exec] = await q.api.executions(wfId);
			} while (Date.now() < deadline && exec && ['new', 'running', 'unknown'].includes(exec.status));
			figures.statusAfterKill = exec?.status;
			figures.requestsAfterKill = receiver.at('/queue-crash').length;
			const full = exec ? await q.api.execution(exec.id) : undefined;
			figures.savedNodes = Object.keys(full?.data?.resultData.runData ?? {});

			try {
				await q.api.rest('POST', `/rest/executions/${exec!.id}/retry`, { loadWorkflow: false });
				await sleep(2000);
				const list = await q.api.executions(wfId);
				figures.retry = list.map((e) => `${e.id}:${e.mode}:${e.status}`);
				const retried = list.find((e) => e.mode === 'retry');
				if (retried) {
					const data = (await q.api.execution(retried.id)).data?.resultData;
					figures.retryError = String(data?.error?.message ?? '').slice(0, 200);
					figures.retryNodes = Object.keys(data?.runData ?? {});
				}
			} catch (e) {
				figures.retry = `refused: ${String(e).slice(0, 200)}`;
			}
			await sleep(3000);
			const perContact = new Map<string, Set<string>>();
			for (const r of receiver.at('/queue-crash')) {
				const id = (r.body as Record<string, string>).contact_id;
				const set = perContact.get(id) ?? new Set<string>();
				set.add(String(r.headers['webhook-id']));
				perContact.set(id, set);
			}
			figures.requests = receiver.at('/queue-crash').length;
			figures.contactsReached = perContact.size;
			figures.lost = N - perContact.size;
			assert.deepEqual([...perContact.entries()].filter(([, s]) => s.size > 1), [], 'no contact with two IDs');
			figures.outcome = figures.lost === 0 ? 'retry resent all' : figures.requests === figures.killedAfterRequests ? 'retry sent nothing' : 'other';
			assert.notEqual(figures.outcome, 'other', 'the Retry either sends every item again or nothing');
		});

		it('the webhook processor killed during a burst: answered 200 vs executed', async () => {
			const TOTAL = Number(process.env.KLICKTIPP_E2E_CRASH_BURST || 300);
			const wfId = await q.api.createAndActivate({
				name: 'queue burst',
				nodes: [triggerNode('queue-burst', { options: { dedupeSeconds: 0 } })],
				connections: {},
			});
			await q.api.waitForWebhook(q.webhookBase, 'queue-burst', 60_000);
			const answered = new Set<string>();
			let errors = 0;
			let next = 0;
			const client = async () => {
				while (next < TOTAL) {
					const id = `b${++next}`;
					try {
						const res = await postForm(q.webhookUrl('queue-burst'), contactParams(id));
						const body = (await res.json()) as { status?: string };
						if (res.status === 200 && body.status === 'accepted') answered.add(id);
						else errors++;
					} catch {
						errors++;
					}
				}
			};
			const killer = (async () => {
				while (answered.size < TOTAL / 2) await sleep(1);
				q.webhook.killNow();
			})();
			await Promise.all(Array.from({ length: 8 }, client));
			await killer;
			// let the workers finish what was enqueued
			// let the workers finish what was enqueued; an execution the processor stored but never enqueued stays `new`
			let count = -1;
			const deadline = Date.now() + 45_000;
			for (;;) {
				await sleep(3000);
				const list = await q.api.executions(wfId);
				const running = list.filter((e) => ['new', 'running', 'unknown'].includes(e.status)).length;
				if ((list.length === count && running === 0) || Date.now() > deadline) break;
				count = list.length;
			}
			const execs = await q.api.executions(wfId, { includeData: true });
			const stuck = execs.filter((e) => ['new', 'running', 'unknown'].includes(e.status));
			const executed = new Set(
				execs.map((e) => String(e.data?.resultData.runData['KlickTipp Outbound Trigger']?.[0]?.data?.main[0]?.[0]?.json?.contact?.id ?? '')),
			);
			executed.delete('');
			const lost = [...answered].filter((id) => !executed.has(id));
			const notAnswered = [...executed].filter((id) => !answered.has(id));
			figures.burst = {
				posted: next,
				answered: answered.size,
				errors,
				executions: execs.length,
				executedOfAnswered: answered.size - lost.length,
				lostAnswered: lost.length,
				executedButNotAnswered: notAnswered.length,
				stuck: stuck.map((e) => e.status),
			};
			assert.ok([...executed].every((id) => /^b\d+$/.test(id)), 'nothing executes that was not posted');
			// n8n >= 2.41 sends the trigger's `accepted` only after the execution is stored and enqueued
			if (version.startsWith('2.41.')) assert.deepEqual(lost, [], 'no event answered `accepted` is lost');
		});
	});
}
