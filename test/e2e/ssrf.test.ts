/**
 * SSRF guard for host names, on a real n8n with its own SSRF protection on (issue 12 §3): the node does no DNS of
 * its own; a host name is judged by n8n (n8n >= 2.12, `N8N_SSRF_PROTECTION_ENABLED=true`; on n8n-workflow >= 2.30 the
 * node also asks `getSecureEgressFilter()` before it sends). These are the cases of test/reliability/ssrf-table that
 * needed a resolver, now against n8n's real guard and this machine's real resolver:
 *
 * - this machine's own host name (`os.hostname()`, not a literal address and none of the names the node refuses by
 *   itself) resolves to a loopback or private address here: refused, nothing arrives at the receiver (which listens
 *   on every address the name resolves to), the item leaves on the error output with a clear reason, after one
 *   attempt; also with "Allow Private Targets" (that option lifts only the node's own refusals, not the instance's);
 * - a redirect from an allowed first hop to that name: the first hop is answered, the second is never contacted;
 * - a host name that does not resolve is a network error, retried up to Max Attempts (issue 11 item 4);
 * - controls: the receiver is reachable where the administrator allows it (N8N_SSRF_ALLOWED_IP_RANGES), and a
 *   literal loopback address is refused by the node itself.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';

import { classifyAddress, classifyHostName } from '../../nodes/core/outbound/ssrf';
import { hasNode, isInstalled, nodeItems, nodeOutput, startSingle, type SingleInstance } from './harness';
import { connect, contactParams, outboundNode, postForm, triggerNode } from './klicktipp';

const VERSION = '2.41.1';
/** The receiver's address n8n is told to allow: loopback, but not what the host name resolves to. */
const ALLOWED = '127.0.0.2';
const HOST = os.hostname();
const TRIGGER = 'KlickTipp Outbound Trigger';

/** The addresses this machine's own name resolves to, when all are in a class n8n blocks by default. */
async function ownNameAddresses(): Promise<string[] | string> {
	if (classifyAddress(HOST) || classifyHostName(HOST)) return `the host name ${HOST} is an address or a name the node refuses itself`;
	let found: Array<{ address: string }>;
	try {
		found = await dns.lookup(HOST, { all: true });
	} catch (error) {
		return `the host name ${HOST} does not resolve here (${(error as { code?: string }).code})`;
	}
	const addresses = found.map((a) => a.address);
	if (addresses.length === 0 || !addresses.every((a) => classifyAddress(a)?.blocked)) {
		return `the host name ${HOST} resolves to ${addresses.join(', ')}, not only to loopback/private addresses`;
	}
	if (addresses.includes(ALLOWED)) return `the host name ${HOST} resolves to ${ALLOWED}, the address the test allows`;
	return addresses;
}

const skip = !hasNode('trigger') || !hasNode('outbound')
	? 'the nodes are not built (npm run build)'
	: !isInstalled(VERSION)
		? `n8n ${VERSION} is not installed (node scripts/ensure-n8n.mjs ${VERSION})`
		: false;

describe(`SSRF: host names are judged by n8n's own protection (n8n ${VERSION}, N8N_SSRF_PROTECTION_ENABLED=true)`, { skip }, () => {
	let n8n: SingleInstance | undefined;
	let notApplicable = '';
	const servers: Server[] = [];
	const hits: Array<{ path: string; local: string }> = [];
	let port = 0;
	let workflowId = '';
	const at = (p: string) => hits.filter((h) => h.path === p);

	before(async () => {
		const addresses = await ownNameAddresses();
		if (typeof addresses === 'string') {
			notApplicable = addresses;
			return;
		}
		// One receiver on ALLOWED and on every address the host name resolves to, all on the same port: whatever the
		// node would contact reaches it, so "nothing arrived" means "nothing was sent".
		const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
			hits.push({ path: req.url ?? '', local: req.socket.localAddress ?? '' });
			req.resume();
			req.on('end', () => {
				if (req.url === '/redirect') {
					res.writeHead(302, { location: `http://${HOST}:${port}/ssrf/after-redirect` }).end();
				} else {
					res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
				}
			});
		};
		for (const address of [ALLOWED, ...addresses]) {
			const server = createServer(handler);
			await new Promise<void>((resolve, reject) => {
				server.once('error', reject);
				server.listen(port, address, () => resolve());
			});
			port = (server.address() as AddressInfo).port;
			servers.push(server);
		}

		n8n = await startSingle({
			version: VERSION,
			label: 'ssrf',
			env: { N8N_SSRF_PROTECTION_ENABLED: 'true', N8N_SSRF_ALLOWED_IP_RANGES: `${ALLOWED}/32` },
		});
		const quick = { maxAttempts: 3, retryDelay: 50, timeout: 5000 };
		const target = (name: string, url: string, options: Record<string, unknown>, y: number) => {
			const node = outboundNode(name, { outboundName: name, url, options: { ...quick, ...options } }, undefined, [300, y]);
			node.onError = 'continueErrorOutput';
			return node;
		};
		const nodes = [
			triggerNode('e2e-ssrf', { authentication: 'none' }, undefined, TRIGGER),
			target('Own host name', `http://${HOST}:${port}/ssrf/hostname`, {}, -300),
			target('Own host name, private allowed', `http://${HOST}:${port}/ssrf/hostname-allowed`, { allowPrivateTargets: true }, -150),
			target('Redirect to own host name', `http://${ALLOWED}:${port}/redirect`, { allowPrivateTargets: true }, 0),
			target('Unresolvable', `http://klicktipp-e2e-ssrf.invalid:${port}/nx`, {}, 150),
			target('Allowed by the administrator', `http://${ALLOWED}:${port}/control`, { allowPrivateTargets: true }, 300),
			target('Literal loopback', `http://127.0.0.1:${port}/literal`, {}, 450),
		];
		workflowId = await n8n.api.createAndActivate({
			name: 'SSRF: host names',
			nodes,
			connections: connect(nodes.slice(1).map((n) => [TRIGGER, n.name] as [string, string])),
		});
		await n8n.api.waitForWebhook(n8n.webhookBase, 'e2e-ssrf');
		assert.equal((await postForm(n8n.webhookUrl('e2e-ssrf'), contactParams(4711))).status, 200);
	});

	after(async () => {
		await n8n?.stop();
		for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
	});

	/** The one execution, read back once. */
	let execution: Awaited<ReturnType<SingleInstance['api']['waitForExecutions']>>[number] | undefined;
	async function run(t: { skip: (m: string) => void }) {
		if (notApplicable) {
			t.skip(notApplicable);
			return undefined;
		}
		execution ??= (await n8n!.api.waitForExecutions(workflowId, 1, { timeoutMs: 90_000 }))[0];
		return execution;
	}
	const failedItem = (exec: NonNullable<typeof execution>, node: string) => {
		assert.equal(nodeOutput(exec, node, 0).length, 0, `${node}: nothing on the success output`);
		const failed = nodeItems(exec, node, 1);
		assert.equal(failed.length, 1, `${node}: one item on the error output`);
		return failed[0].json.error as { message: string; reason: string; status: string; attempts: number };
	};

	it('control: the receiver is reachable where the administrator allows it', async (t) => {
		const exec = await run(t);
		if (!exec) return;
		assert.equal(exec.status, 'success');
		const [item] = nodeOutput(exec, 'Allowed by the administrator', 0);
		assert.equal(item?.status, 'delivered', JSON.stringify(item));
		assert.equal(at('/control').length, 1);
	});

	it(`the machine's own host name (resolving to a blocked address) is refused: nothing arrives, the error output says why`, async (t) => {
		const exec = await run(t);
		if (!exec) return;
		const error = failedItem(exec, 'Own host name');
		assert.equal(error.status, 'failed');
		const prefix = `Refused by n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED) for ${HOST}: The request was blocked`;
		assert.ok(error.reason.startsWith(prefix), `the reason names the host and n8n's verdict: ${error.reason}`);
		assert.match(error.message, /^Outbound "Own host name" failed: Refused by n8n's SSRF protection/);
		assert.equal(error.attempts, 1, 'a refusal is final, not retried');
		assert.deepEqual(at('/ssrf/hostname'), [], 'nothing arrived at the receiver');
	});

	it('"Allow Private Targets" does not override the instance policy', async (t) => {
		const exec = await run(t);
		if (!exec) return;
		const error = failedItem(exec, 'Own host name, private allowed');
		assert.match(error.reason, /^Refused by n8n's SSRF protection .*does not override the instance's policy/);
		assert.equal(error.attempts, 1);
		assert.deepEqual(at('/ssrf/hostname-allowed'), []);
	});

	it('a redirect to that host name is refused before it is contacted', async (t) => {
		const exec = await run(t);
		if (!exec) return;
		const error = failedItem(exec, 'Redirect to own host name');
		assert.match(error.reason, /^Refused by n8n's SSRF protection/);
		assert.equal(at('/redirect').length, 1, 'the first hop was answered');
		assert.deepEqual(at('/ssrf/after-redirect'), [], 'the redirect target saw nothing');
	});

	it('a host name that does not resolve is a network error, retried up to Max Attempts (not a refusal)', async (t) => {
		const exec = await run(t);
		if (!exec) return;
		const error = failedItem(exec, 'Unresolvable');
		assert.equal(error.attempts, 3, error.reason);
		assert.match(error.reason, /^Network error.*(ENOTFOUND|EAI_AGAIN).*\(after 3 attempts\)$/);
		assert.doesNotMatch(error.reason, /Refused/);
	});

	it("a literal loopback address is refused by the node's own guard", async (t) => {
		const exec = await run(t);
		if (!exec) return;
		const error = failedItem(exec, 'Literal loopback');
		assert.match(error.reason, /^Refused to contact 127\.0\.0\.1: loopback \(127\.0\.0\.0\/8\) addresses are blocked/);
		assert.deepEqual(at('/literal'), []);
	});
});
