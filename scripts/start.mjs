#!/usr/bin/env node
// `npm start`: build this package, install the pinned n8n on first use, install our package into n8n's community
// nodes folder, start n8n (SQLite), create a local owner if there is none, and leave a working demo: one local
// credential per example (generated API key), examples/*.json imported with their credential attached, a
// "Demo CRM" workflow (a Webhook node in the same n8n) that the CRM example's outbound sends to, the data tables the
// examples name (created in the owner's project, the examples' nodes pointed at them), all published.
// Prints the editor URL, the login, the key and two ready-to-paste curls: one delivers a KlickTipp-style contact
// end to end (trigger → outbound → Demo CRM); the other sends a contact the Demo CRM refuses at first (an address
// at @fails-at-first.example), which "Send to CRM" parks in the dead-letter table and the dead-letter workflow
// redelivers. Ctrl-C stops n8n.
//
// Environment (all optional):
//   N8N_PORT                  editor/REST/webhook port              (default 5690; n8n's own default 5678 stays free)
//   N8N_RUNNERS_BROKER_PORT   n8n's task-runner broker port         (default N8N_PORT + 1; n8n's default 5679 stays free)
//   N8N_USER_FOLDER           n8n's data folder (.n8n/ inside it)   (default <repo>/.n8n-local, git-ignored)
//   N8N_VERSION               n8n version, a folder under n8n/      (default: the newest, 2.41.1, on Node 24 installed
//                             (or KLICKTIPP_N8N_VERSION)            from npm into the cache; 2.4.8 runs on the Node 20 you have)
//   KLICKTIPP_N8N_CACHE       where n8n runtimes are installed      (default ~/.cache/n8n-nodes-klicktipp-outbound)
//   KLICKTIPP_OWNER_EMAIL, KLICKTIPP_OWNER_PASSWORD   the local owner created on first start
//   KLICKTIPP_SKIP_BUILD=1    do not run `npm run build` first
//   WEBHOOK_URL               public base URL for webhooks          (default http://localhost:<port>/)
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { dataTablesOf, ensureDataTables, pointDataTables } from './data-tables.mjs';
import { DEFAULT_N8N_VERSION, ensureN8n } from './ensure-n8n.mjs';
import { portFree } from './ports.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_NAME = 'n8n-nodes-klicktipp-outbound';
const TRIGGER_TYPES = new Set([`${PACKAGE_NAME}.klickTippOutboundTrigger`]);
const WEBHOOK_NODE_TYPES = new Set(['n8n-nodes-base.webhook', 'n8n-nodes-base.formTrigger']);

const version = process.env.KLICKTIPP_N8N_VERSION || process.env.N8N_VERSION || DEFAULT_N8N_VERSION;
const port = Number(process.env.N8N_PORT || 5690);
const brokerPort = Number(process.env.N8N_RUNNERS_BROKER_PORT || port + 1);
const userFolder = path.resolve(process.env.N8N_USER_FOLDER || path.join(ROOT, '.n8n-local'));
const baseUrl = `http://localhost:${port}`;
const webhookBase = (process.env.WEBHOOK_URL || `${baseUrl}/`).replace(/\/?$/, '/');
const owner = {
	email: process.env.KLICKTIPP_OWNER_EMAIL || 'owner@klicktipp-outbound.local',
	firstName: 'Local',
	lastName: 'Owner',
	password: process.env.KLICKTIPP_OWNER_PASSWORD || 'KlickTipp-n8n-1',
};
const loginFile = path.join(userFolder, 'klicktipp-owner-login.json');
/** The demo's state: n8n API key for activation, and each demo credential's id and generated key (mode 0600). */
const demoFile = path.join(userFolder, 'klicktipp-demo.json');
const CREDENTIAL_TYPE = 'klickTippOutboundApi';
const OUTBOUND_TYPE = `${PACKAGE_NAME}.klickTippOutbound`;
/** The demo receiver: a Webhook node in the same n8n; the CRM example's "Send to CRM" is pointed at it. */
const DEMO_CRM = {
	name: 'Demo CRM (receives the outbound)',
	path: 'demo-crm',
	webhookId: '3d6e1c5a-8b7f-4a2e-9c1d-5e4f3a2b1c0d',
	decide: 'Refuse at first?',
	refused: 'Answer 503 (try later)',
	accepted: 'Answer 200 (stored)',
};
const DEMO_CRM_EXAMPLE = 'klicktipp-to-crm.json';
const DEMO_CRM_TARGET = 'https://crm.example.com/';
/** The contact the printed curl sends: parameter names as KlickTipp's outbound sends them. */
const DEMO_CONTACT = [
	['SubscriberID', '4711'],
	['email', 'max.mustermann@example.de'],
	['CustomFieldFirstName', 'Jürgen'],
	['CustomFieldLastName', 'Müller'],
	['PhoneNumber', '0049170123456'],
	['CustomField219989', 'Gold'],
];
/**
 * The Demo CRM refuses an address at this domain at first: 503 (with Retry-After: 1) to the first requests of each
 * delivery, as many as "Send to CRM" makes (its Max Attempts), so the item is parked in the dead-letter table; the
 * next request of that delivery (the same webhook-id: the dead-letter workflow's redelivery) is accepted.
 */
const FAILING_DOMAIN = 'fails-at-first.example';
/** The contact of the second curl: delivered only by the dead-letter workflow. */
const FAILING_CONTACT = [
	['SubscriberID', '4713'],
	['email', `erika.musterfrau@${FAILING_DOMAIN}`],
	['CustomFieldFirstName', 'Erika'],
	['CustomFieldLastName', 'Musterfrau'],
	['PhoneNumber', '0049170654321'],
	['CustomField219989', 'Silver'],
];
const DEAD_LETTER_EXAMPLE = 'klicktipp-dead-letter.json';
const DEAD_LETTER_TABLE = 'KlickTipp dead letters';

const say = (msg) => process.stderr.write(`[start] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(msg) {
	say(msg);
	process.exit(1);
}

/** Copies package.json (without dev/peer dependencies, as n8n does for community packages) and dist/. */
function installPackage() {
	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(target, { recursive: true });
	const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
	for (const k of ['devDependencies', 'peerDependencies', 'optionalDependencies', 'scripts', 'allowScripts']) delete pkg[k];
	fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(pkg, null, 2));
	fs.cpSync(path.join(ROOT, 'dist'), path.join(target, 'dist'), { recursive: true });
	const nodesPkgPath = path.join(nodesDir, 'package.json');
	const nodesPkg = fs.existsSync(nodesPkgPath)
		? JSON.parse(fs.readFileSync(nodesPkgPath, 'utf8'))
		: { name: 'installed-nodes', private: true, dependencies: {} };
	nodesPkg.dependencies = { ...(nodesPkg.dependencies ?? {}), [PACKAGE_NAME]: pkg.version };
	fs.writeFileSync(nodesPkgPath, JSON.stringify(nodesPkg, null, 2));
	return target;
}

class Rest {
	cookie = '';
	apiKey = '';
	async call(method, urlPath, body) {
		const res = await fetch(baseUrl + urlPath, {
			method,
			headers: {
				...(body ? { 'content-type': 'application/json' } : {}),
				...(this.cookie ? { cookie: this.cookie } : {}),
				...(urlPath.startsWith('/api/') && this.apiKey ? { 'x-n8n-api-key': this.apiKey } : {}),
			},
			body: body ? JSON.stringify(body) : undefined,
		});
		const auth = (res.headers.getSetCookie?.() ?? []).find((c) => c.startsWith('n8n-auth='));
		if (auth) this.cookie = auth.split(';')[0];
		const text = await res.text();
		if (!res.ok) throw Object.assign(new Error(`${method} ${urlPath} → ${res.status}: ${text.slice(0, 300)}`), { status: res.status });
		return text ? JSON.parse(text) : undefined;
	}
}

async function waitReady(child) {
	const deadline = Date.now() + 180_000;
	while (Date.now() < deadline) {
		if (child.exitCode !== null) fail(`n8n exited with code ${child.exitCode} before it was ready`);
		try {
			const r = await fetch(`${baseUrl}/healthz/readiness`);
			if (r.ok) {
				const s = await fetch(`${baseUrl}/rest/settings`);
				if (s.ok) return (await s.json()).data;
			}
		} catch {
			/* not yet */
		}
		await sleep(500);
	}
	fail('n8n did not become ready within 3 minutes');
}

async function setupOwner(rest, settings) {
	const needsSetup = settings?.userManagement?.showSetupOnFirstLoad === true;
	if (needsSetup) {
		await rest.call('POST', '/rest/owner/setup', owner);
		fs.writeFileSync(loginFile, JSON.stringify({ email: owner.email, password: owner.password }, null, 2), { mode: 0o600 });
		return { created: true, login: owner };
	}
	const saved = fs.existsSync(loginFile) ? JSON.parse(fs.readFileSync(loginFile, 'utf8')) : undefined;
	const login = saved ?? { email: owner.email, password: owner.password };
	try {
		await rest.call('POST', '/rest/login', { email: login.email, emailOrLdapLoginId: login.email, password: login.password });
		return { created: false, login };
	} catch {
		return { created: false, login: undefined };
	}
}

function webhookPathOf(node) {
	const p = typeof node.parameters?.path === 'string' ? node.parameters.path.trim() : '';
	return p || node.webhookId || '';
}

function readJson(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch {
		return undefined;
	}
}

function writeDemoState(state) {
	fs.writeFileSync(demoFile, JSON.stringify(state, null, 2), { mode: 0o600 });
}

/** An n8n API key (public API: credentials, activation), kept in the demo state and re-created when revoked. */
async function ensureApiKey(rest, state) {
	if (state.n8nApiKey) {
		rest.apiKey = state.n8nApiKey;
		try {
			await rest.call('GET', '/api/v1/workflows?limit=1');
			return;
		} catch {
			/* revoked or from another instance: make a new one */
		}
	}
	const scopes = (await rest.call('GET', '/rest/api-keys/scopes')).data;
	const res = await rest.call('POST', '/rest/api-keys', { label: `npm start demo ${Date.now()}`, scopes, expiresAt: null });
	state.n8nApiKey = rest.apiKey = res.data.rawApiKey ?? res.data.apiKey;
}

/**
 * One KlickTipp Outbound API credential per name the examples reference, each with its own generated API key
 * (parameter `apiKey`, sent as a static value) and, when a node signs with it, a generated signing secret. Reused on
 * later starts (the key is kept in the demo state).
 */
async function ensureDemoCredentials(rest, state, names, signing) {
	const existing = new Map();
	for (const c of (await rest.call('GET', '/rest/credentials')).data ?? []) {
		if (c.type === CREDENTIAL_TYPE) existing.set(c.name, String(c.id));
	}
	state.credentials ??= {};
	const out = new Map();
	for (const name of names) {
		const saved = state.credentials[name];
		const id = existing.get(name);
		if (saved && id === saved.id) {
			out.set(name, saved);
			continue;
		}
		const apiKey = `kt_demo_${randomBytes(18).toString('base64url')}`;
		const data = { apiKey, keyName: 'apiKey', keyLocation: 'body' };
		if (signing.has(name)) data.signingSecret = `whsec_${randomBytes(24).toString('base64')}`;
		if (id) {
			// a credential of that name whose key we do not know (e.g. the demo state was deleted): give it a new key
			await rest.call('PATCH', `/rest/credentials/${id}`, { name, type: CREDENTIAL_TYPE, data });
			state.credentials[name] = { id, apiKey };
		} else {
			const res = await rest.call('POST', '/api/v1/credentials', { name, type: CREDENTIAL_TYPE, data });
			state.credentials[name] = { id: String(res.id), apiKey };
		}
		writeDemoState(state);
		out.set(name, state.credentials[name]);
	}
	return out;
}

/** "Send to CRM"'s Max Attempts in the CRM example (5 when the file does not set it): how often the Demo CRM refuses. */
function sendAttempts() {
	try {
		const wf = JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', DEMO_CRM_EXAMPLE), 'utf8'));
		const send = wf.nodes.find((n) => n.type === OUTBOUND_TYPE && String(n.parameters?.url ?? '').startsWith(DEMO_CRM_TARGET));
		return Number(send?.parameters?.options?.maxAttempts) || 5;
	} catch {
		return 5;
	}
}

/**
 * The Demo CRM: Webhook → "Refuse at first?" (Code) → "Refuse?" (If) → 503 or 200. An address at FAILING_DOMAIN gets 503 with
 * Retry-After: 1 for the first `refusals` requests carrying the same webhook-id (every attempt and every redelivery
 * carries the delivery's own), counted in the workflow's static data (saved after each production execution; the
 * Retry-After second keeps Send's next attempt after that), then 200. Every other contact gets 200 at once.
 */
function demoCrmWorkflow(refusals = sendAttempts()) {
	const code = [
		`// The demo's outage: an address at @${FAILING_DOMAIN} is refused (503) for the first ${refusals} requests of its`,
		`// delivery, all of "Send to CRM"'s attempts (its Max Attempts), so it is parked in the dead-letter table. The`,
		'// redelivery (the same webhook-id) is accepted. The count lives in this workflow\'s static data.',
		`const REFUSALS = ${refusals};`,
		'const request = $input.first().json;',
		"const email = String(request.body?.email ?? '').toLowerCase();",
		"const webhookId = String(request.headers?.['webhook-id'] ?? '');",
		`if (!email.endsWith('@${FAILING_DOMAIN}') || !webhookId) return [{ json: { refuse: false } }];`,
		"const seen = ($getWorkflowStaticData('global').requests ??= {});",
		'const count = (seen[webhookId] ?? 0) + 1;',
		'seen[webhookId] = count;',
		'for (const old of Object.keys(seen).slice(0, -100)) delete seen[old];',
		'return [{ json: { refuse: count <= REFUSALS, request: count, of: REFUSALS, webhookId } }];',
	].join('\n');
	const node = (name, type, typeVersion, position, parameters, extra = {}) => ({ id: randomUUID(), name, type, typeVersion, position, parameters, ...extra });
	return {
		name: DEMO_CRM.name,
		nodes: [
			node('Demo CRM receives', 'n8n-nodes-base.webhook', 2, [0, 0], { httpMethod: 'POST', path: DEMO_CRM.path, responseMode: 'responseNode', options: {} }, { webhookId: DEMO_CRM.webhookId }),
			node(DEMO_CRM.decide, 'n8n-nodes-base.code', 2, [220, 0], { jsCode: code }),
			node('Refuse?', 'n8n-nodes-base.if', 2.2, [440, 0], {
				conditions: {
					options: { caseSensitive: true, leftValue: '', typeValidation: 'strict', version: 2 },
					conditions: [{ id: randomUUID(), leftValue: '={{ $json.refuse }}', rightValue: '', operator: { type: 'boolean', operation: 'true', singleValue: true } }],
					combinator: 'and',
				},
				options: {},
			}),
			node(DEMO_CRM.refused, 'n8n-nodes-base.respondToWebhook', 1.1, [680, -100], {
				respondWith: 'json',
				responseBody: '={{ JSON.stringify({ error: "Demo CRM: simulated outage for @' + FAILING_DOMAIN + '", request: $json.request, of: $json.of }) }}',
				options: { responseCode: 503, responseHeaders: { entries: [{ name: 'Retry-After', value: '1' }] } },
			}),
			node(DEMO_CRM.accepted, 'n8n-nodes-base.respondToWebhook', 1.1, [680, 100], {
				respondWith: 'json',
				responseBody: '{ "stored": true }',
				options: { responseCode: 200 },
			}),
		],
		connections: {
			'Demo CRM receives': { main: [[{ node: DEMO_CRM.decide, type: 'main', index: 0 }]] },
			[DEMO_CRM.decide]: { main: [[{ node: 'Refuse?', type: 'main', index: 0 }]] },
			'Refuse?': {
				main: [[{ node: DEMO_CRM.refused, type: 'main', index: 0 }], [{ node: DEMO_CRM.accepted, type: 'main', index: 0 }]],
			},
		},
		settings: { executionOrder: 'v1' },
	};
}

/** The dead-letter example's Redeliver node for unsigned records ("Redeliver unsigned"): the CRM example's rows. */
const isUnsignedRedeliver = (node) => node.type === OUTBOUND_TYPE && node.parameters?.operation === 'redeliver' && node.parameters?.authentication === 'none';

/**
 * The example as the demo imports it: each node's credential reference (by name, as in the file) points at the
 * demo credential of that name; in the CRM example, "Send to CRM" targets the Demo CRM in this n8n instead of
 * crm.example.com, which needs Allow Private Targets (loopback), and so does the dead-letter example's "Redeliver
 * unsigned", which sends the CRM example's parked rows again. Only the demo does that; the files do not.
 */
function demoExample(file, wf, credentials, demoCrmUrl) {
	const nodes = (wf.nodes ?? []).map((node) => {
		let out = node;
		if (node.credentials) {
			const refs = {};
			for (const [type, ref] of Object.entries(node.credentials)) {
				const cred = credentials.get(ref.name);
				refs[type] = cred ? { id: cred.id, name: ref.name } : ref;
			}
			out = { ...out, credentials: refs };
		}
		if (file === DEMO_CRM_EXAMPLE && node.type === OUTBOUND_TYPE && String(node.parameters?.url ?? '').startsWith(DEMO_CRM_TARGET)) {
			const options = { ...(node.parameters.options ?? {}), allowPrivateTargets: true };
			out = { ...out, parameters: { ...node.parameters, url: demoCrmUrl, options } };
		}
		if (file === DEAD_LETTER_EXAMPLE && isUnsignedRedeliver(node)) {
			// redelivers the rows the CRM example parks, which in the demo go to the Demo CRM (loopback) too
			const options = { ...(node.parameters.options ?? {}), allowPrivateTargets: true };
			out = { ...out, parameters: { ...node.parameters, options } };
		}
		return out;
	});
	return { ...wf, nodes };
}

/** Imports the Demo CRM and examples/*.json (skipping names that exist), attaches the demo credentials. */
async function importExamples(rest, credentialsFor) {
	const dir = path.join(ROOT, 'examples');
	const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
	const existing = new Map();
	try {
		const list = await rest.call('GET', '/rest/workflows');
		for (const w of list.data ?? []) existing.set(w.name, w.id);
	} catch (e) {
		say(`could not list workflows: ${e.message}`);
	}
	const examples = [];
	for (const file of files) {
		try {
			examples.push({ file, wf: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) });
		} catch (e) {
			say(`skipping examples/${file}: not valid JSON (${e.message})`);
		}
	}
	const refs = examples.flatMap(({ wf }) =>
		(wf.nodes ?? []).flatMap((n) =>
			Object.entries(n.credentials ?? {})
				.filter(([t]) => t === CREDENTIAL_TYPE)
				.map(([, r]) => ({ name: r.name, signs: n.parameters?.authentication === 'signature' })),
		),
	);
	const signing = new Set(refs.filter((r) => r.signs).map((r) => r.name));
	const credentials = await credentialsFor([...new Set(refs.map((r) => r.name))], signing);
	const tables = new Map();
	for (const { file, wf } of examples) {
		try {
			tables.set(file, await ensureDataTables((m, p, b) => rest.call(m, p, b), dataTablesOf(wf)));
		} catch (e) {
			say(`could not create the data tables of examples/${file}: ${e.message}`);
		}
	}
	const demoCrmUrl = `${baseUrl}/webhook/${DEMO_CRM.path}`;
	const all = [{ file: undefined, wf: demoCrmWorkflow() }, ...examples];
	const imported = [];
	for (const { file, wf: raw } of all) {
		const wf = file ? pointDataTables(demoExample(file, raw, credentials, demoCrmUrl), tables.get(file) ?? new Map()) : raw;
		const name = wf.name || path.basename(file, '.json');
		let id = existing.get(name);
		let note = 'already imported';
		if (id && !file) {
			// the Demo CRM is ours, not an example: one from an earlier version of this script is replaced
			try {
				const names = (w) => (w.nodes ?? []).map((n) => n.name).sort().join('\n');
				if (names(await rest.call('GET', `/api/v1/workflows/${id}`)) !== names(wf)) {
					await rest.call('PUT', `/api/v1/workflows/${id}`, { name, nodes: wf.nodes, connections: wf.connections, settings: wf.settings });
					note = 'updated';
				}
			} catch (e) {
				say(`could not update "${name}": ${e.message}`);
			}
		}
		if (!id) {
			try {
				const res = await rest.call('POST', '/rest/workflows', {
					name,
					active: false, // n8n 1.x stores what it is given (NOT NULL); 2.x sets it itself; published below
					nodes: wf.nodes ?? [],
					connections: wf.connections ?? {},
					settings: wf.settings ?? { executionOrder: 'v1' },
					...(wf.pinData ? { pinData: wf.pinData } : {}),
				});
				id = res.data?.id ?? res.id;
				note = 'imported';
			} catch (e) {
				say(`could not import ${file ? `examples/${file}` : name}: ${e.message}`);
				continue;
			}
		}
		let published = false;
		try {
			await rest.call('POST', `/api/v1/workflows/${id}/activate`);
			published = true;
		} catch (e) {
			say(`could not publish "${name}": ${e.message}`);
		}
		const credential = (wf.nodes ?? []).map((n) => n.credentials?.[CREDENTIAL_TYPE]?.name).find((n) => credentials.has(n));
		imported.push({ file, name, id, note, published, nodes: wf.nodes ?? [], credential, tables: tables.get(file) });
	}
	return { imported, credentials, demoCrmUrl };
}

const shellQuote = (v) => `'${String(v).replace(/'/g, `'\\''`)}'`;

/** A curl the banner prints: a KlickTipp-style contact-data outbound (form POST) with the demo key. */
function demoCurl(url, apiKey, contact = DEMO_CONTACT) {
	const params = [...contact, ['apiKey', apiKey]];
	return `curl -sS -X POST ${shellQuote(url)} ${params.map(([k, v]) => `--data-urlencode ${shellQuote(`${k}=${v}`)}`).join(' ')}`;
}

async function main() {
	if (!process.env.KLICKTIPP_SKIP_BUILD) {
		say('building the package (npm run build)');
		const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
		if (b.status !== 0) fail('npm run build failed');
	}
	if (!fs.existsSync(path.join(ROOT, 'dist'))) fail('dist/ is missing after the build');
	const runtime = await ensureN8n(version);
	for (const p of [port, brokerPort]) {
		if (!(await portFree(p))) fail(`port ${p} is in use; choose others with N8N_PORT=... N8N_RUNNERS_BROKER_PORT=...`);
	}
	fs.mkdirSync(userFolder, { recursive: true });
	const target = installPackage();
	say(`installed ${PACKAGE_NAME} into ${target}`);

	const env = {
		...process.env,
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_HOST: process.env.N8N_HOST || 'localhost',
		WEBHOOK_URL: webhookBase,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_SECURE_COOKIE: process.env.N8N_SECURE_COOKIE || 'false',
		DB_TYPE: process.env.DB_TYPE || 'sqlite',
		// n8n 1.123.x: the default (isolated-vm) expression engine needs Node >= 22
		...(version.startsWith('1.') && !process.env.N8N_EXPRESSION_ENGINE ? { N8N_EXPRESSION_ENGINE: 'legacy' } : {}),
	};
	delete env.NODE_OPTIONS;
	delete env.N8N_VERSION;
	say(`starting n8n ${version} (Node ${runtime.nodeVersion}) on ${baseUrl} (data: ${path.join(userFolder, '.n8n')}, SQLite)`);
	const child = spawn(runtime.node, [runtime.bin, 'start'], { cwd: userFolder, env, stdio: 'inherit' });
	for (const sig of ['SIGINT', 'SIGTERM']) {
		process.on(sig, () => {
			if (child.exitCode === null) child.kill(sig);
		});
	}
	child.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));

	const settings = await waitReady(child);
	const rest = new Rest();
	const { created, login } = await setupOwner(rest, settings);
	let demo;
	if (login) {
		try {
			const state = readJson(demoFile) ?? {};
			await ensureApiKey(rest, state);
			writeDemoState(state);
			demo = await importExamples(rest, async (names, signing) => await ensureDemoCredentials(rest, state, names, signing));
		} catch (e) {
			say(`could not set up the demo: ${e.message}`);
		}
	}
	const imported = demo?.imported ?? [];

	const lines = [];
	lines.push('', '='.repeat(78), `n8n ${version} with ${PACKAGE_NAME} is running`, '');
	lines.push(`  Editor:    ${baseUrl}/`);
	if (login) {
		lines.push(`  Login:     ${login.email} / ${login.password}${created ? '   (owner created now)' : ''}`);
	} else {
		lines.push('  Login:     the owner you set up earlier in this data folder (not created by npm start)');
	}
	lines.push(`  Data:      ${path.join(userFolder, '.n8n')}`);
	if (imported.length) {
		lines.push('', '  Workflows (published; each example has its own demo credential with a generated API key):');
		for (const w of imported) {
			lines.push(`  - ${w.name} (${w.note}${w.published ? ', published' : ', NOT published'}): ${baseUrl}/workflow/${w.id}`);
			if (w.credential) {
				lines.push(`      credential "${w.credential}", API key ${demo.credentials.get(w.credential).apiKey}`);
			}
			for (const [table, { id, projectId }] of w.tables ?? []) {
				lines.push(`      data table "${table}": ${baseUrl}/projects/${projectId}/datatables/${id}`);
			}
			for (const node of w.nodes) {
				if (!TRIGGER_TYPES.has(node.type) && !WEBHOOK_NODE_TYPES.has(node.type)) continue;
				const p = webhookPathOf(node);
				if (!p) continue;
				lines.push(`      "${node.name}": production ${webhookBase}webhook/${p}`);
				lines.push(`      ${' '.repeat(node.name.length + 2)}  test       ${webhookBase}webhook-test/${p}  (while "Listen for test event" runs)`);
			}
		}
		const crm = imported.find((w) => w.file === DEMO_CRM_EXAMPLE);
		const receiver = imported.find((w) => w.name === DEMO_CRM.name);
		const trigger = crm?.nodes.find((n) => TRIGGER_TYPES.has(n.type));
		const key = crm?.credential && demo.credentials.get(crm.credential)?.apiKey;
		if (crm?.published && receiver?.published && trigger && key) {
			lines.push(
				'',
				'  Try it: send a KlickTipp-style contact (what KlickTipp\'s outbound sends, with your API key):',
				'',
				`  ${demoCurl(`${baseUrl}/webhook/${webhookPathOf(trigger)}`, key)}`,
				'',
				`  → "${crm.name}" accepts it, "Send to CRM" delivers it to "${DEMO_CRM.name}".`,
				`    See it arrive: ${baseUrl}/workflow/${receiver.id}/executions  (and the example's executions tab)`,
				`    In this demo "Send to CRM" targets ${demo.demoCrmUrl} with Allow Private Targets on (loopback);`,
				'    the example file itself sends to crm.example.com and keeps that protection.',
				'    The same contact again within 60 s is answered "duplicate" (the example\'s de-duplication): change SubscriberID.',
				'    KlickTipp\'s "Save and test" (contact 12345) goes to "Test event (not sent)", not to the CRM.',
			);
			const deadLetter = imported.find((w) => w.file === DEAD_LETTER_EXAMPLE);
			const table = crm.tables?.get(DEAD_LETTER_TABLE);
			if (deadLetter?.published && table) {
				const refusals = sendAttempts();
				// Redeliver takes a record straight from Send up after its schedule's first wait (default 5s)
				const redeliver = deadLetter.nodes.find(isUnsignedRedeliver);
				const firstWait = String(redeliver?.parameters?.options?.schedule ?? '5s').split(',')[0].trim();
				const schedule = deadLetter.nodes.find((n) => n.type === 'n8n-nodes-base.scheduleTrigger')?.name ?? 'Every minute';
				lines.push(
					'',
					`  Then a delivery that fails, is parked and redelivered (the Demo CRM refuses @${FAILING_DOMAIN} at first):`,
					'',
					`  ${demoCurl(`${baseUrl}/webhook/${webhookPathOf(trigger)}`, key, FAILING_CONTACT)}`,
					'',
					`  → The Demo CRM answers 503 to the first ${refusals} requests of this delivery: "Send to CRM" tries ${refusals} times`,
					`    within seconds, then parks it: a row with status "failed" in the data table "${DEAD_LETTER_TABLE}",`,
					`    ${baseUrl}/projects/${table.projectId}/datatables/${table.id}`,
					`    "${deadLetter.name}" sends it again within about a minute`,
					`    (its Schedule Trigger "${schedule}"). Now instead: ${firstWait} after the row appeared, open`,
					`    ${baseUrl}/workflow/${deadLetter.id} and "Execute workflow" from "${schedule}" (the button's menu).`,
					'    The Demo CRM accepts it (the same webhook-id: see its executions) and the row is deleted: delivered.',
					'    Once more: change SubscriberID (a new delivery; the Demo CRM refuses each new one at first).',
				);
			}
		}
	} else if (login) {
		lines.push('', '  No example workflows found in examples/.');
	}
	lines.push('', '  Stop with Ctrl-C.', '='.repeat(78), '');
	process.stdout.write(lines.join('\n') + '\n');
}

main().catch((e) => fail(e.stack || e.message));
