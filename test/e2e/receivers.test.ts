/**
 * Receivers as they are, in a real n8n (issues 19 and 20; each of E2E_VERSIONS): a hanging receiver, refused
 * connections, a flapping one, one that restarts, a burst of one-item executions through the trigger to a receiver
 * that is down, and a fast one with a small Concurrency. Small counts, short timeouts and a short Outage Budget keep
 * it at about half a minute per version. Each receiver has its own port: what n8n's process knows about a host is
 * shared by every execution, so the scenarios must not share one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { hasNode, nodeItems, startSingle, type SingleInstance, type WorkflowNode, E2E_VERSIONS } from './harness';
import { connect, contactParams, outboundNode, postForm, triggerNode } from './klicktipp';
import { Receiver } from './receiver';

const skip = hasNode('trigger') && hasNode('outbound') ? false : 'the nodes are not built (dist/ missing)';
const TRIGGER = 'KlickTipp Outbound Trigger';

/** Trigger → a Code node making `items` contacts → Send (error output on) for one scenario. */
function scenario(path: string, items: number, url: string, options: Record<string, unknown>): { nodes: WorkflowNode[]; connections: ReturnType<typeof connect> } {
	const send = outboundNode('Send', {
		outboundName: path,
		url,
		fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'id', defaultValue: '' }] },
		options: { allowPrivateTargets: true, retryDelay: 50, ...options },
	});
	send.onError = 'continueErrorOutput';
	const make: WorkflowNode = {
		name: 'Contacts',
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		position: [200, 0],
		parameters: {
			jsCode: `return Array.from({ length: ${items} }, (_, i) => ({ json: { event: 'contactData', contact: { id: '${path}-' + i, email: 'c' + i + '@example.de' } } }));`,
		},
	};
	return {
		nodes: [triggerNode(path, { authentication: 'none', options: { dedupeSeconds: 0 } }, undefined, TRIGGER), make, { ...send, position: [400, 0] }],
		connections: connect([
			[TRIGGER, 'Contacts'],
			['Contacts', 'Send'],
		]),
	};
}

for (const version of E2E_VERSIONS) describe(`receivers as they are, in real n8n (n8n ${version})`, { skip }, () => {
	let n8n: SingleInstance;
	const rx = { hang: new Receiver(), flap: new Receiver(), restart: new Receiver(), burst: new Receiver(), fast: new Receiver() };
	let restartUntil = 0;
	let refusedUrl = '';
	const wf: Record<string, string> = {};

	before(async () => {
		for (const r of Object.values(rx)) await r.start();
		rx.hang.on('/hang', () => ({ status: 200, delayMs: 20_000 }));
		rx.flap.on('/flap', (n) => ({ status: n % 2 ? 503 : 200 }));
		rx.restart.on('/restart', () => ({ status: Date.now() < restartUntil ? 503 : 200 }));
		rx.burst.on('/burst', () => ({ status: 503 }));
		rx.fast.on('/fast', () => ({ status: 200, delayMs: 20 }));
		const closed = await new Receiver().start();
		refusedUrl = `${closed.url}/refused`;
		await closed.stop();
		n8n = await startSingle({ version, label: `receivers-${version}` });
		const create = async (name: string, w: ReturnType<typeof scenario>) => (wf[name] = await n8n.api.createAndActivate({ name, ...w }));
		await create('hang', scenario('rx-hang', 30, `${rx.hang.url}/hang`, { timeout: 1000, outageBudgetSeconds: 3 }));
		await create('refused', scenario('rx-refused', 30, refusedUrl, { outageBudgetSeconds: 2 }));
		await create('flap', scenario('rx-flap', 30, `${rx.flap.url}/flap`, {}));
		await create('restart', scenario('rx-restart', 30, `${rx.restart.url}/restart`, { outageBudgetSeconds: 15 }));
		await create('fast', scenario('rx-fast', 200, `${rx.fast.url}/fast`, { concurrency: 8 }));
		const burstSend = outboundNode('Send', { outboundName: 'burst', url: `${rx.burst.url}/burst`, options: { allowPrivateTargets: true, retryDelay: 50, outageBudgetSeconds: 3 } });
		burstSend.onError = 'continueErrorOutput';
		wf.burst = await n8n.api.createAndActivate({
			name: 'burst',
			nodes: [triggerNode('rx-burst', { authentication: 'none', options: { dedupeSeconds: 0 } }, undefined, TRIGGER), burstSend],
			connections: connect([[TRIGGER, 'Send']]),
		});
		for (const p of ['rx-hang', 'rx-refused', 'rx-flap', 'rx-restart', 'rx-fast', 'rx-burst']) await n8n.api.waitForWebhook(n8n.webhookBase, p);
	});

	after(async () => {
		await n8n?.stop();
		for (const r of Object.values(rx)) await r.stop();
	});

	/** Runs one scenario: its execution, and how its items came out. */
	const run = async (name: string, path: string) => {
		assert.equal((await postForm(n8n.webhookUrl(path), contactParams(1))).status, 200);
		const [exec] = await n8n.api.waitForExecutions(wf[name], 1, { timeoutMs: 90_000 });
		const failed = nodeItems(exec, 'Send', 1).map((i) => i.json.error as Record<string, unknown>);
		const delivered = nodeItems(exec, 'Send', 0).filter((i) => i.json.status === 'delivered').length;
		const ms = Date.parse(String(exec.stoppedAt)) - Date.parse(exec.startedAt);
		return { delivered, failed, ms };
	};

	it('a hanging receiver (Timeout 1 s, Outage Budget 3 s): all 30 items out within seconds, parked and replayable', async () => {
		const { delivered, failed, ms } = await run('hang', 'rx-hang');
		assert.equal(delivered, 0);
		assert.equal(failed.length, 30);
		assert.ok(failed.filter((e) => /^Receiver down: circuit open/.test(String(e.reason))).length >= 20, JSON.stringify(failed[0]));
		assert.ok(failed.every((e) => (e.request as { webhookId?: string }).webhookId), 'every record replayable');
		assert.ok(ms < 20_000, `${ms} ms`);
		assert.ok(rx.hang.at('/hang').length <= 15, `${rx.hang.at('/hang').length} hanging requests`);
	});

	it('refused connections (Outage Budget 2 s): all 30 items out, parked, few attempts', async () => {
		const { delivered, failed, ms } = await run('refused', 'rx-refused');
		assert.equal(delivered, 0);
		assert.equal(failed.length, 30);
		const parked = failed.filter((e) => /^Receiver down: circuit open/.test(String(e.reason)) && typeof e.nextAttemptAt === 'string');
		assert.ok(parked.length >= 20, `${parked.length} parked: ${JSON.stringify(failed[0])}`);
		const attempts = failed.reduce((sum, e) => sum + Number(e.attempts), 0);
		assert.ok(attempts <= 45, `${attempts} attempts in all (5 per item would be 150)`);
		assert.ok(ms < 15_000, `${ms} ms`);
	});

	it('a flapping receiver (every other answer 503): all 30 delivered', async () => {
		const { delivered, failed } = await run('flap', 'rx-flap');
		assert.equal(failed.length, 0, JSON.stringify(failed[0]));
		assert.equal(delivered, 30);
	});

	it('a receiver restarting (503 for its first 2 s): all 30 delivered in the same run', async () => {
		restartUntil = Date.now() + 2000;
		const { delivered, failed } = await run('restart', 'rx-restart');
		assert.equal(failed.length, 0, JSON.stringify(failed[0]));
		assert.equal(delivered, 30);
	});

	it('a fast receiver, 200 items, Concurrency 8: all delivered, never more than 8 in flight', async () => {
		const { delivered } = await run('fast', 'rx-fast');
		assert.equal(delivered, 200);
		const at = rx.fast.at('/fast').map((r) => r.at).sort((a, b) => a - b);
		let peak = 0;
		for (let i = 0, j = 0; i < at.length; i++) {
			while (at[i] - at[j] >= 20) j++;
			peak = Math.max(peak, i - j + 1);
		}
		assert.ok(peak <= 8, `peak ${peak} in flight`);
	});

	it('a burst of 80 one-item executions to a receiver answering 503: every event out, at most a quarter request per event', async () => {
		const posts = await Promise.all(Array.from({ length: 80 }, (_, i) => postForm(n8n.webhookUrl('rx-burst'), contactParams(9000 + i))));
		assert.ok(posts.every((p) => p.status === 200));
		const execs = await n8n.api.waitForExecutions(wf.burst, 80, { timeoutMs: 120_000 });
		const failed = execs.flatMap((e) => nodeItems(e, 'Send', 1));
		assert.equal(failed.length, 80, 'every event on the error output, replayable');
		assert.ok(rx.burst.at('/burst').length <= 20, `${rx.burst.at('/burst').length} requests for 80 events`);
	});
});
