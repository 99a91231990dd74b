/**
 * End-to-end harness: a real n8n process (the pinned runtime from `scripts/ensure-n8n.mjs`) with our built package
 * installed the way n8n installs a community package, driven only through n8n's own HTTP interfaces:
 *
 * - `spawnN8n()` starts `n8n start | webhook | worker` with a fresh user folder and free ports and waits for readiness;
 * - `N8nApi` sets up the owner (REST `POST /rest/owner/setup`), keeps the login cookie, creates an API key
 *   (`POST /rest/api-keys`) and then uses n8n's public API for credentials, workflows, activation
 *   (`POST /api/v1/workflows/:id/activate`, which in 2.x publishes the current version) and executions
 *   (`GET /api/v1/executions?includeData=true`, which returns the run data already decoded);
 * - `waitForWebhook()` knows a production webhook is registered without starting an execution: n8n answers a PUT
 *   to a path registered only for GET/POST with "not registered for PUT requests", and an unknown path with
 *   "is not registered".
 *
 * The benchmarks (issue 5) reuse this file: `startSingle()` gives a ready instance with an API client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { DEFAULT_N8N_VERSION, installRecord, n8nBin as runtimeN8nBin } from '../../scripts/ensure-n8n.mjs';
import { freePort } from '../../scripts/ports.mjs';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME = 'n8n-nodes-klicktipp-outbound';
export const TRIGGER_TYPE = `${PACKAGE_NAME}.klickTippOutboundTrigger`;
export const OUTBOUND_TYPE = `${PACKAGE_NAME}.klickTippOutbound`;
/** The newest pinned n8n (what `npm start` opens), unless KLICKTIPP_N8N_VERSION names another. */
export const DEFAULT_VERSION = process.env.KLICKTIPP_N8N_VERSION || DEFAULT_N8N_VERSION;

/**
 * The n8n versions the core scenarios (trigger, outbound, examples, harness) run on, each file once per version:
 * the newest 2.x (Node 24) and the last 2.x on Node 20. KLICKTIPP_E2E_VERSIONS=2.4.8 (comma-separated) narrows it.
 */
export const E2E_VERSIONS: string[] = (process.env.KLICKTIPP_E2E_VERSIONS || '2.41.1,2.4.8')
	.split(',')
	.map((v) => v.trim())
	.filter(Boolean);

/** The n8n binary of an installed runtime; throws with the command to run when it is not installed. */
export function n8nBin(version: string = DEFAULT_VERSION): string {
	if (!installRecord(version)) throw new Error(`n8n ${version} is not installed; run: node scripts/ensure-n8n.mjs ${version}`);
	return runtimeN8nBin(version);
}

/**
 * The Node binary a runtime was installed and verified with (scripts/ensure-n8n.mjs records it; n8n 2.41.x: the
 * Node 24 from the npm registry in the cache folder). Runtimes recorded without one run on this process's Node.
 */
export function nodeBinFor(version: string = DEFAULT_VERSION): string {
	n8nBin(version);
	const nodeBin = installRecord(version)?.nodeBin;
	if (!nodeBin) return process.execPath;
	if (!fs.existsSync(nodeBin)) {
		throw new Error(`the Node for n8n ${version} (${nodeBin}) is gone; run: node scripts/ensure-n8n.mjs ${version}`);
	}
	return nodeBin;
}

export function isInstalled(version: string): boolean {
	try {
		n8nBin(version);
		return true;
	} catch {
		return false;
	}
}

/** Our package exactly as a built dist + package.json (what `npm pack` ships); dev/peer dependencies stripped
 *  as n8n does for community packages, so `n8n-workflow` resolves to n8n's own copy. */
export function builtNodeTypes(): string[] {
	const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	return (pkg.n8n.nodes as string[]).filter((p) => fs.existsSync(path.join(ROOT, p)));
}

export function hasNode(type: 'trigger' | 'outbound'): boolean {
	const file =
		type === 'trigger'
			? 'dist/nodes/KlickTippOutboundTrigger/KlickTippOutboundTrigger.node.js'
			: 'dist/nodes/KlickTippOutbound/KlickTippOutbound.node.js';
	return fs.existsSync(path.join(ROOT, file));
}

export function installPackageInto(userFolder: string): string {
	if (!fs.existsSync(path.join(ROOT, 'dist'))) throw new Error('dist/ is missing: run `npm run build` first');
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(target, { recursive: true });
	const { devDependencies, peerDependencies, optionalDependencies, scripts, allowScripts, ...pkg } = JSON.parse(
		fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'),
	);
	void devDependencies, peerDependencies, optionalDependencies, scripts, allowScripts;
	fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(pkg, null, 2));
	fs.cpSync(path.join(ROOT, 'dist'), path.join(target, 'dist'), { recursive: true });
	const nodesPkg = path.join(nodesDir, 'package.json');
	const deps = fs.existsSync(nodesPkg) ? JSON.parse(fs.readFileSync(nodesPkg, 'utf8')).dependencies ?? {} : {};
	deps[PACKAGE_NAME] = pkg.version;
	fs.writeFileSync(nodesPkg, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: deps }, null, 2));
	return target;
}

export { freePort };

export const sleep = async (ms: number) => await new Promise((r) => setTimeout(r, ms));

export function tempUserFolder(label = 'n8n'): string {
	return fs.mkdtempSync(path.join(os.tmpdir(), `klicktipp-e2e-${label}-`));
}

export interface SpawnOptions {
	version?: string;
	command?: 'start' | 'webhook' | 'worker';
	args?: string[];
	userFolder: string;
	/** HTTP port (editor/REST for start, webhooks for webhook, health check for worker). */
	port?: number;
	env?: Record<string, string>;
	label?: string;
	/** ms to wait for readiness (default 120 s: first start runs the DB migrations). */
	readyTimeout?: number;
}

const running = new Set<N8nProcess>();
process.on('exit', () => {
	for (const p of running) p.killNow();
});

export class N8nProcess {
	readonly logFile: string;
	private exited = false;
	private exitInfo = '';
	constructor(
		readonly child: ChildProcess,
		readonly label: string,
		readonly port: number,
		readonly userFolder: string,
		logFile: string,
	) {
		this.logFile = logFile;
		running.add(this);
		child.on('exit', (code, signal) => {
			this.exited = true;
			this.exitInfo = `exit ${code ?? ''}${signal ?? ''}`;
			running.delete(this);
		});
	}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	get hasExited(): boolean {
		return this.exited;
	}

	logTail(lines = 40): string {
		try {
			return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
		} catch {
			return '';
		}
	}

	log(): string {
		try {
			return fs.readFileSync(this.logFile, 'utf8');
		} catch {
			return '';
		}
	}

	async waitReady(timeoutMs: number, pathName: string): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (this.exited) throw new Error(`${this.label} exited (${this.exitInfo}) before it was ready:\n${this.logTail()}`);
			try {
				const res = await fetch(this.baseUrl + pathName, { signal: AbortSignal.timeout(2000) });
				if (res.ok) return;
			} catch {
				/* not listening yet */
			}
			await sleep(250);
		}
		throw new Error(`${this.label} not ready within ${timeoutMs} ms:\n${this.logTail()}`);
	}

	killNow(): void {
		if (this.exited || this.child.pid === undefined) return;
		try {
			process.kill(-this.child.pid, 'SIGKILL');
		} catch {
			/* gone */
		}
	}

	/** SIGTERM to n8n's process group (n8n and its task runner), SIGKILL after `graceMs`. */
	async stop(graceMs = 15000): Promise<void> {
		if (this.exited || this.child.pid === undefined) return;
		const done = new Promise<void>((r) => this.child.once('exit', () => r()));
		try {
			process.kill(-this.child.pid, 'SIGTERM');
		} catch {
			return;
		}
		const timer = setTimeout(() => this.killNow(), graceMs);
		await done;
		clearTimeout(timer);
	}
}

/** Environment shared by every n8n process of one instance (single or queue mode). */
export function baseEnv(userFolder: string, extra: Record<string, string> = {}): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (v === undefined) continue;
		// never leak the test runner's context or tsx loader into n8n, nor an outer n8n's configuration
		if (k === 'NODE_OPTIONS' || k.startsWith('NODE_TEST') || k.startsWith('N8N_') || k.startsWith('DB_')) continue;
		if (k.startsWith('QUEUE_') || k === 'EXECUTIONS_MODE' || k === 'WEBHOOK_URL') continue;
		env[k] = v;
	}
	return {
		...env,
		N8N_USER_FOLDER: userFolder,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_LOG_LEVEL: process.env.KLICKTIPP_E2E_LOG_LEVEL || 'info',
		N8N_LOG_OUTPUT: 'console',
		NODE_ENV: 'production',
		...extra,
	};
}

/**
 * Per-version settings. n8n 1.123.x evaluates expressions in isolated-vm by default, whose native module needs
 * Node >= 22 and does not build on Node 20 (our runtime denies its install script); n8n's own switch
 * N8N_EXPRESSION_ENGINE=legacy uses the in-process engine that 2.x uses too.
 */
export function versionEnv(version: string): Record<string, string> {
	return version.startsWith('1.') ? { N8N_EXPRESSION_ENGINE: 'legacy' } : {};
}

/** Starts one n8n process and waits until it is ready. Logs go to `<userFolder>/<label>.log`. */
export async function spawnN8n(opts: SpawnOptions): Promise<N8nProcess> {
	const version = opts.version ?? DEFAULT_VERSION;
	const bin = n8nBin(version);
	const node = nodeBinFor(version);
	const command = opts.command ?? 'start';
	const label = opts.label ?? `n8n-${command}`;
	const port = opts.port ?? (await freePort());
	const env = baseEnv(opts.userFolder, {
		...versionEnv(version),
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		...(command === 'worker'
			? { QUEUE_HEALTH_CHECK_ACTIVE: 'true', QUEUE_HEALTH_CHECK_PORT: String(port), N8N_WORKER_SERVER_ADDRESS: '127.0.0.1' }
			: {}),
		...opts.env,
	});
	const logFile = path.join(opts.userFolder, `${label}.log`);
	const out = fs.openSync(logFile, 'a');
	const child = spawn(node, [bin, command, ...(opts.args ?? [])], {
		cwd: opts.userFolder,
		env,
		stdio: ['ignore', out, out],
		detached: true,
	});
	fs.closeSync(out);
	const proc = new N8nProcess(child, label, port, opts.userFolder, logFile);
	try {
		await proc.waitReady(opts.readyTimeout ?? 120_000, command === 'start' ? '/healthz/readiness' : '/healthz');
		if (command === 'start') await proc.waitReady(opts.readyTimeout ?? 120_000, '/rest/settings');
	} catch (e) {
		await proc.stop(2000);
		throw e;
	}
	return proc;
}

// ---------------------------------------------------------------------------------------------------------------
// API client

export interface WorkflowNode {
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	webhookId?: string;
	credentials?: Record<string, { id: string; name: string }>;
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	[key: string]: unknown;
}

export interface WorkflowDefinition {
	name: string;
	nodes: WorkflowNode[];
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
}

export interface RunItem {
	json: Record<string, any>;
	error?: { message: string; description?: string; name?: string; context?: Record<string, any> };
	pairedItem?: { item: number; input?: number } | Array<{ item: number; input?: number }>;
}

export interface Execution {
	id: string;
	finished: boolean;
	mode: string;
	status: string;
	startedAt: string;
	stoppedAt: string | null;
	workflowId: string;
	data?: {
		resultData: {
			runData: Record<string, Array<{ data?: { main: Array<Array<RunItem> | null> }; error?: any }>>;
			error?: any;
			lastNodeExecuted?: string;
		};
	};
}

export const OWNER = { email: 'owner@klicktipp-e2e.test', firstName: 'Kay', lastName: 'Tipp', password: 'E2e-Passw0rd!' };

export class N8nApi {
	private cookie = '';
	private apiKey = '';
	constructor(readonly baseUrl: string) {}

	private async call(method: string, urlPath: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> {
		const res = await fetch(this.baseUrl + urlPath, {
			method,
			headers: {
				...(body !== undefined ? { 'content-type': 'application/json' } : {}),
				...(this.cookie ? { cookie: this.cookie } : {}),
				...(urlPath.startsWith('/api/') && this.apiKey ? { 'x-n8n-api-key': this.apiKey } : {}),
				...headers,
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		const setCookie = res.headers.getSetCookie?.() ?? [];
		const auth = setCookie.find((c) => c.startsWith('n8n-auth='));
		if (auth) this.cookie = auth.split(';')[0];
		if (!res.ok) throw new Error(`${method} ${urlPath} → ${res.status}: ${text.slice(0, 500)}`);
		return text ? JSON.parse(text) : undefined;
	}

	/** Creates the owner unless one exists, then logs in; returns whether it was created. */
	async setupOwnerAndLogin(owner = OWNER): Promise<boolean> {
		let created = false;
		try {
			await this.call('POST', '/rest/owner/setup', owner);
			created = true;
		} catch (e) {
			if (!/→ 400/.test(String(e))) throw e; // 400 "Instance owner already setup"
		}
		await this.login(owner.email, owner.password);
		return created;
	}

	async login(email: string, password: string): Promise<void> {
		// n8n 1.x names the field `email`, 2.x `emailOrLdapLoginId`; send both.
		await this.call('POST', '/rest/login', { email, emailOrLdapLoginId: email, password });
	}

	/** n8n's internal REST API (`/rest/…`, with the login cookie): what the editor calls, e.g. for data tables. */
	async rest(method: string, urlPath: string, body?: unknown): Promise<any> {
		return await this.call(method, urlPath, body);
	}

	async createApiKey(): Promise<string> {
		const scopes = (await this.call('GET', '/rest/api-keys/scopes')).data as string[];
		const res = await this.call('POST', '/rest/api-keys', { label: `e2e-${Date.now()}`, scopes, expiresAt: null });
		this.apiKey = res.data.rawApiKey ?? res.data.apiKey;
		return this.apiKey;
	}

	useApiKey(key: string): void {
		this.apiKey = key;
	}

	async createCredential(name: string, type: string, data: Record<string, unknown>): Promise<{ id: string; name: string }> {
		const res = await this.call('POST', '/api/v1/credentials', { name, type, data });
		return { id: String(res.id), name: res.name };
	}

	async createWorkflow(wf: WorkflowDefinition): Promise<string> {
		const res = await this.call('POST', '/api/v1/workflows', {
			name: wf.name,
			nodes: wf.nodes,
			connections: wf.connections,
			settings: wf.settings ?? { executionOrder: 'v1' },
		});
		return String(res.id);
	}

	async activate(id: string): Promise<void> {
		await this.call('POST', `/api/v1/workflows/${id}/activate`);
	}

	async deactivate(id: string): Promise<void> {
		await this.call('POST', `/api/v1/workflows/${id}/deactivate`);
	}

	async createAndActivate(wf: WorkflowDefinition): Promise<string> {
		const id = await this.createWorkflow(wf);
		await this.activate(id);
		return id;
	}

	/** Node type names the editor knows (`/types/nodes.json`, needs the login cookie). */
	async nodeTypeNames(): Promise<string[]> {
		const res = await fetch(`${this.baseUrl}/types/nodes.json`, { headers: { cookie: this.cookie } });
		if (!res.ok) throw new Error(`/types/nodes.json → ${res.status}`);
		return ((await res.json()) as Array<{ name: string }>).map((t) => t.name);
	}

	async workflow(id: string): Promise<any> {
		return await this.call('GET', `/api/v1/workflows/${id}`);
	}

	async workflows(): Promise<any[]> {
		return (await this.call('GET', '/api/v1/workflows?limit=250')).data;
	}

	/** Every execution of a workflow (newest first), following the cursor. */
	async executions(workflowId: string, opts: { includeData?: boolean; status?: string } = {}): Promise<Execution[]> {
		const all: Execution[] = [];
		let cursor: string | undefined;
		do {
			const q = new URLSearchParams({ workflowId, limit: '250' });
			if (opts.includeData) q.set('includeData', 'true');
			if (opts.status) q.set('status', opts.status);
			if (cursor) q.set('cursor', cursor);
			const res = await this.call('GET', `/api/v1/executions?${q}`);
			all.push(...res.data);
			cursor = res.nextCursor ?? undefined;
		} while (cursor);
		return all;
	}

	async execution(id: string): Promise<Execution> {
		return await this.call('GET', `/api/v1/executions/${id}?includeData=true`);
	}

	/**
	 * Waits until `count` executions of the workflow have finished (any status but new/running/waiting), then waits
	 * `settleMs` more and checks that no further execution appeared. Returns them oldest first, with data. Polls every
	 * `pollMs` (default 200 ms, 1 s for more than 50).
	 */
	async waitForExecutions(
		workflowId: string,
		count: number,
		opts: { timeoutMs?: number; settleMs?: number; includeData?: boolean; pollMs?: number } = {},
	): Promise<Execution[]> {
		const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
		const includeData = opts.includeData ?? true;
		let last: Execution[] = [];
		for (;;) {
			last = await this.executions(workflowId);
			const done = last.filter((e) => !['new', 'running', 'waiting', 'unknown'].includes(e.status));
			if (done.length >= count && done.length === last.length) break;
			if (Date.now() > deadline) {
				throw new Error(
					`expected ${count} finished executions of workflow ${workflowId}, have ${last.length} ` +
						`(${done.length} finished) after ${opts.timeoutMs ?? 30_000} ms`,
				);
			}
			await sleep(opts.pollMs ?? (count > 50 ? 1000 : 200));
		}
		if ((opts.settleMs ?? 750) > 0) await sleep(opts.settleMs ?? 750);
		const finalList = await this.executions(workflowId, { includeData });
		return finalList.reverse();
	}

	/**
	 * Polls until n8n routes `path` to an active workflow. A PUT to a path registered only for GET/POST answers 404
	 * "not registered for PUT requests"; an unregistered path "is not registered". Starts no execution.
	 */
	async waitForWebhook(webhookBase: string, webhookPath: string, timeoutMs = 30_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		let lastText = '';
		while (Date.now() < deadline) {
			const res = await fetch(`${webhookBase}/webhook/${webhookPath}`, { method: 'PUT' });
			lastText = await res.text();
			if (/not registered for PUT/i.test(lastText) || (res.status !== 404 && res.status < 500)) return;
			await sleep(200);
		}
		throw new Error(`webhook ${webhookPath} not registered within ${timeoutMs} ms: ${lastText.slice(0, 200)}`);
	}
}

/** Output items of one node in one execution (`output` index of the node's main outputs). */
export function nodeOutput(exec: Execution, nodeName: string, output = 0): Array<Record<string, any>> {
	const runs = exec.data?.resultData.runData[nodeName];
	if (!runs || runs.length === 0) return [];
	const items: Array<Record<string, any>> = [];
	for (const run of runs) items.push(...((run.data?.main[output] ?? []).map((i) => i.json)));
	return items;
}

/** Like nodeOutput, but the whole items (json, error, pairedItem). */
export function nodeItems(exec: Execution, nodeName: string, output = 0): RunItem[] {
	const runs = exec.data?.resultData.runData[nodeName] ?? [];
	return runs.flatMap((run) => run.data?.main[output] ?? []);
}

export function nodeRan(exec: Execution, nodeName: string): boolean {
	return (exec.data?.resultData.runData[nodeName]?.length ?? 0) > 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Single-instance convenience

export interface SingleInstance {
	n8n: N8nProcess;
	api: N8nApi;
	userFolder: string;
	version: string;
	webhookBase: string;
	webhookUrl(p: string): string;
	stop(): Promise<void>;
}

/** A fresh n8n (SQLite, regular execution mode) with our package, an owner, a login and an API key. */
export async function startSingle(
	opts: { version?: string; env?: Record<string, string>; label?: string } = {},
): Promise<SingleInstance> {
	const userFolder = tempUserFolder(opts.label ?? 'single');
	installPackageInto(userFolder);
	const port = await freePort();
	let n8n: N8nProcess;
	try {
		n8n = await spawnN8n({
			version: opts.version,
			userFolder,
			port,
			label: opts.label ?? 'n8n',
			env: {
				N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
				WEBHOOK_URL: `http://127.0.0.1:${port}/`,
				...opts.env,
			},
		});
	} catch (e) {
		if (!process.env.KLICKTIPP_E2E_KEEP) fs.rmSync(userFolder, { recursive: true, force: true });
		throw e;
	}
	const api = new N8nApi(n8n.baseUrl);
	await api.setupOwnerAndLogin();
	await api.createApiKey();
	const webhookBase = n8n.baseUrl;
	return {
		n8n,
		api,
		userFolder,
		version: opts.version ?? DEFAULT_VERSION,
		webhookBase,
		webhookUrl: (p: string) => `${webhookBase}/webhook/${p}`,
		async stop() {
			await n8n.stop();
			if (!process.env.KLICKTIPP_E2E_KEEP) fs.rmSync(userFolder, { recursive: true, force: true });
		},
	};
}

/** Fails loudly (with n8n's log) when our package did not load: node types are listed by the REST API. */
export async function assertPackageLoaded(inst: SingleInstance): Promise<void> {
	const log = inst.n8n.log();
	const m = /Cannot find module[^\n]*klicktipp[^\n]*|Error[^\n]*n8n-nodes-klicktipp-outbound[^\n]*/i.exec(log);
	if (m) throw new Error(`our package failed to load in n8n ${inst.version}: ${m[0]}`);
}
