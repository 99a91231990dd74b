/**
 * Reliability: a secrets scan. Every operation (send, preview, sendTest, redeliver) and every trigger path runs with the
 * known, per-process random secrets of ./helpers (API key, password, signing secret) while every log sink is
 * captured (n8n's DI Logger, LoggerProxy, console.*, stdout/stderr). None of the secrets — in any spelling that
 * would reveal it: plain, URL-encoded, form-encoded, JSON-escaped, the Basic token, the signing key's base64 —
 * may appear in an output item (main and error output), an error message, a log line, the trigger's HTTP answer
 * or an emitted item.
 *
 * So the scan cannot pass by accident, it also checks that the secret was really used (it reached the receiver,
 * or the signature verifies with it), that the detector finds a secret where one is, and that the capture sees
 * output items, log lines and emitted items at all (positive controls without a credential to mask with).
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Container } from '@n8n/di';
import { Logger } from '@n8n/backend-common';
import { LoggerProxy, type IDataObject, type INodeExecutionData, type INodeParameters, type OnError } from 'n8n-workflow';

import { signPayload, verifySignature } from '../../nodes/core/signature';
import { KlickTippOutboundTrigger } from '../../nodes/KlickTippOutboundTrigger/KlickTippOutboundTrigger.node.js';
import { runOutbound, type RunOptions, type RunResult } from '../helpers/execute-harness';
import { startReceiver, type Fault, type Received, type Receiver } from '../helpers/receiver';
import { send, startWebhookHarness, type Harness } from '../helpers/webhook-harness';
import { API_KEY, CREDENTIAL, PASSWORD, SIGNING_SECRET, USERNAME, captureLogs, errorTexts, leakForms, leaksIn } from './helpers';

// ---------- the detector ----------

const BASIC_TOKEN = Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64');
const SIGNING_KEY_B64 = SIGNING_SECRET.slice('whsec_'.length);

/** The secrets by name (names go into failure messages; values never do). */
const NAMED: Array<[name: string, value: string]> = [
	['API key', API_KEY],
	['password', PASSWORD],
	['signing secret', SIGNING_SECRET],
	['signing key (base64)', SIGNING_KEY_B64],
	['Basic token', BASIC_TOKEN],
];

/**
 * Spellings beyond leakForms(): WHATWG/PHP form encoding (also escapes `!'()~`), lower-case percent escapes, and
 * the random cores of the API key and password (which reveal the secret whatever the encoding around them).
 */
const EXTRA_FORMS: Array<[name: string, form: string]> = [
	...NAMED.flatMap(([name, value]): Array<[string, string]> => [
		[`${name} (form-encoded)`, new URLSearchParams({ x: value }).toString().slice(2)],
		[`${name} (lower-case %xx)`, encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
	]),
	['API key (random part)', API_KEY.slice('ktkey_'.length)],
	['password (random part)', PASSWORD.slice('pw-'.length, -1)],
];

function nameOf(form: string): string {
	for (const [name, value] of NAMED) {
		if (form === value || form === encodeURIComponent(value) || form === JSON.stringify(value).slice(1, -1)) return name;
	}
	return 'a secret';
}

/** Masks every known secret spelling (longest first) so a failure message can show context safely. */
function masked(text: string): string {
	const forms = [...leakForms().map((f) => [nameOf(f), f] as const), ...EXTRA_FORMS].sort((a, b) => b[1].length - a[1].length);
	let out = text;
	for (const [name, form] of forms) out = out.split(form).join(`«${name}»`);
	return out;
}

/** The names of the secrets found in a text ([] when clean): leaksIn() plus the extra spellings. */
function secretsIn(text: string): string[] {
	const found = leaksIn(text).map(nameOf);
	for (const [name, form] of EXTRA_FORMS) if (text.includes(form)) found.push(name);
	return [...new Set(found)];
}

type Texts = Array<[where: string, text: string]>;

function leaksAmong(texts: Texts): string[] {
	const found: string[] = [];
	for (const [where, text] of texts) {
		const names = secretsIn(text);
		if (names.length === 0) continue;
		const first = Math.min(...[...leakForms(), ...EXTRA_FORMS.map(([, f]) => f)].map((f) => text.indexOf(f)).filter((i) => i >= 0));
		const context = masked(text.slice(Math.max(0, first - 80), first + 120));
		found.push(`${where}: ${names.join(', ')} in …${context}…`);
	}
	return found;
}

function assertClean(texts: Texts, context: string): void {
	// leaksIn() is asserted on its own too, as the issue asks; the extra spellings come on top.
	for (const [where, text] of texts) assert.deepEqual(leaksIn(text).map(nameOf), [], `${context}: a secret leaked in ${where}: ${masked(text).slice(0, 400)}`);
	assert.deepEqual(leaksAmong(texts), [], `${context}: a secret leaked`);
}

function stringify(value: unknown): string {
	try {
		return JSON.stringify(value) ?? String(value);
	} catch {
		return String(value);
	}
}

// ---------- outbound runs ----------

interface ScannedRun {
	res: RunResult;
	logs: string[];
	texts: Texts;
}

function itemTexts(label: string, items: INodeExecutionData[]): Texts {
	const out: Texts = [];
	items.forEach((item, i) => {
		out.push([`${label}[${i}]`, stringify(item)]);
		if (item.error) out.push([`${label}[${i}].error`, errorTexts(item.error)]);
	});
	return out;
}

/** Runs the outbound node with every log captured; returns all texts that must be free of secrets. */
async function runScanned(options: RunOptions): Promise<ScannedRun> {
	const capture = captureLogs();
	let res: RunResult;
	try {
		res = await runOutbound(options);
	} finally {
		capture.restore();
	}
	const logs = [...capture.lines];
	// n8n serializes a node error — into the run data and into its own debug log line "Workflow execution finished
	// with error" — with a copy of the node: its parameters as the user configured them. When a test types a secret
	// into a parameter on purpose, that copy holds it; it is the workflow definition itself, not output of the node.
	// Only then the copies are left out of the scan; everything else is scanned whole.
	const typedIn = secretsIn(stringify(options.parameters)).length > 0;
	const texts: Texts = [
		...itemTexts('main output', res.main),
		...itemTexts('error output', res.errorOutput),
		['node error', errorTexts(typedIn ? withoutNodeConfig(res.error) : res.error)],
		['run result data', stringify(typedIn ? withoutNodeConfig(res.run.data.resultData) : res.run.data.resultData)],
		...logs.map((line, i): [string, string] => [`log line ${i}`, typedIn ? withoutNodeCopies(line) : line]),
	];
	return { res, logs, texts };
}

/** A log line with every serialized node copy (`"node":{…"parameters"…}`) replaced by a marker. */
function withoutNodeCopies(text: string): string {
	const marker = '"node":{';
	let out = '';
	let from = 0;
	for (let at = text.indexOf(marker); at !== -1; at = text.indexOf(marker, from)) {
		let depth = 0;
		let inString = false;
		let end = -1;
		for (let i = at + marker.length - 1; i < text.length; i++) {
			const c = text[i];
			if (inString) {
				if (c === '\\') i++;
				else if (c === '"') inString = false;
			} else if (c === '"') inString = true;
			else if (c === '{') depth++;
			else if (c === '}' && --depth === 0) {
				end = i + 1;
				break;
			}
		}
		if (end === -1) break;
		const copy = text.slice(at, end);
		out += text.slice(from, at) + (copy.includes('"parameters"') ? '"node":"[node configuration]"' : copy);
		from = end;
	}
	return out + text.slice(from);
}

/** A JSON copy without n8n's copies of the node configuration (`node: { parameters, ... }`). */
function withoutNodeConfig(value: unknown): unknown {
	if (value === undefined) return undefined;
	return JSON.parse(stringify(value), (key, v: unknown) =>
		key === 'node' && v && typeof v === 'object' && 'parameters' in v ? '[node configuration]' : v,
	) as unknown;
}

type AuthName = 'apiKey/body' | 'apiKey/query' | 'apiKey/header' | 'basicAuth' | 'bearerToken' | 'signature';

interface AuthMode {
	name: AuthName;
	authentication: 'apiKey' | 'basicAuth' | 'bearerToken' | 'signature';
	credential: Record<string, unknown>;
	/** Whether the secret was really used on the wire. */
	reached: (r: Received) => boolean;
	/** Whether a preview item shows the secret masked (so it was built, then masked, not left out). */
	maskedInPreview: (request: { url: string; body: string | null; headers: Record<string, string> }) => boolean;
}

const AUTH_MODES: AuthMode[] = [
	{
		name: 'apiKey/body',
		authentication: 'apiKey',
		credential: { ...CREDENTIAL, keyLocation: 'body' },
		reached: (r) => (JSON.parse(r.body || '{}') as IDataObject).apiKey === API_KEY,
		maskedInPreview: (q) => (JSON.parse(q.body ?? '{}') as IDataObject).apiKey === '***',
	},
	{
		name: 'apiKey/query',
		authentication: 'apiKey',
		credential: { ...CREDENTIAL, keyLocation: 'query' },
		reached: (r) => new URL(r.url, 'http://x').searchParams.get('apiKey') === API_KEY,
		maskedInPreview: (q) => new URL(q.url).searchParams.get('apiKey') === '***',
	},
	{
		name: 'apiKey/header',
		authentication: 'apiKey',
		credential: { ...CREDENTIAL, keyLocation: 'header' },
		reached: (r) => r.headers.apikey === API_KEY,
		maskedInPreview: (q) => q.headers.apikey === '***',
	},
	{
		name: 'basicAuth',
		authentication: 'basicAuth',
		credential: { ...CREDENTIAL },
		reached: (r) => r.headers.authorization === `Basic ${BASIC_TOKEN}`,
		maskedInPreview: (q) => q.headers.authorization === 'Basic ***',
	},
	{
		// the credential's Bearer Token is the API key value, so the detector knows it
		name: 'bearerToken',
		authentication: 'bearerToken',
		credential: { ...CREDENTIAL, bearerToken: API_KEY },
		reached: (r) => r.headers.authorization === `Bearer ${API_KEY}`,
		maskedInPreview: (q) => q.headers.authorization === 'Bearer ***',
	},
	{
		name: 'signature',
		authentication: 'signature',
		credential: { ...CREDENTIAL },
		reached: (r) => verifySignature(SIGNING_SECRET, r.headers, r.rawBody).ok,
		maskedInPreview: (q) => /^v1,[A-Za-z0-9+/=]{40,}$/.test(q.headers['webhook-signature'] ?? ''),
	},
];

const contact = (id: string, extra: IDataObject = {}): IDataObject => ({
	event: 'contactData',
	eventId: `ev-${id}`,
	isTest: false,
	contact: { id, email: `kunde${id}@example.de`, firstName: 'Jürgen' },
	...extra,
});
const ITEMS = [contact('4711'), contact('4712', { event: 'deletionRequest', eventId: 'ev-del-4712' })];

let rx: Receiver;

/** An answer that echoes the whole request (method, URL, headers, body) back: a leak vector for logResponseBody. */
const echo =
	(status: number): ((r: Received) => Fault) =>
	(r) => ({
		status,
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ echoed: { method: r.method, url: r.url, headers: r.headers, body: r.body } }),
	});

function outboundParams(extra: INodeParameters = {}, options: INodeParameters = {}): INodeParameters {
	return {
		resource: 'outbound',
		operation: 'send',
		outboundName: 'Secrets scan',
		label: 'scan',
		events: ['contactData', 'deletionRequest'],
		url: `${rx.url}/hook/__SubscriberID__`,
		fields: { field: [{ value: '={{ $json.contact.id }}', parameterName: 'SubscriberID', defaultValue: '' }] },
		staticValues: { value: [{ name: 'source', value: 'klicktipp' }] },
		...extra,
		// No breaker: one receiver answers every test here, so its failures would add up across tests (the breaker's
		// reasons hold no response body; outbound-host.test.ts).
		options: { allowPrivateTargets: true, maxAttempts: 2, retryDelay: 0, timeout: 5000, logResponseBody: true, outageBudgetSeconds: 0, ...options },
	};
}

/** The echo the receiver sent back for its last request really carried a secret (the vector is live). */
function assertEchoCarriedSecret(mode: AuthMode): void {
	const last = rx.requests.at(-1);
	assert.ok(last, 'the receiver got a request');
	const answer = echo(200)(last) as { body: string };
	if (mode.name !== 'signature') assert.notDeepEqual(secretsIn(answer.body), [], `${mode.name}: the echo should carry the secret`);
}

/** The delivered or failed items show the receiver's (echoed) response body, masked. */
function assertResponseBodyMasked(items: INodeExecutionData[], mode: AuthMode): void {
	for (const item of items) {
		const json = (item.json.error as IDataObject | undefined) ?? item.json;
		if ((json.status as string) === 'skipped') continue;
		const body = stringify((json.response as IDataObject | undefined)?.body);
		assert.match(body, /echoed/, 'logResponseBody puts the response body into the item');
		if (mode.name !== 'signature') assert.match(body, /\*\*\*/, 'the echoed secret is masked');
	}
}

before(async () => {
	rx = await startReceiver();
});
after(async () => {
	await rx.close();
});
beforeEach(() => {
	rx.requests.length = 0;
	rx.setScript(() => undefined);
});

describe('secrets scan: the detector and the capture can fail', () => {
	it('leaksIn and the extra spellings find every secret in every spelling', () => {
		for (const form of leakForms()) assert.notDeepEqual(secretsIn(`prefix ${form} suffix`), [], `undetected form of ${nameOf(form)}`);
		for (const [name, form] of EXTRA_FORMS) assert.ok(secretsIn(`x${form}x`).includes(name), name);
		for (const [name, value] of NAMED) {
			assert.notDeepEqual(leaksIn(JSON.stringify({ value })), [], `${name} JSON-encoded`);
			assert.notDeepEqual(leaksIn(`a=${encodeURIComponent(value)}`), [], `${name} URL-encoded`);
			assert.notDeepEqual(secretsIn(new URLSearchParams({ a: value }).toString()), [], `${name} form-encoded`);
		}
		assert.deepEqual(secretsIn('nothing secret here: ***, Basic ***, whsec_***'), []);
		assert.throws(() => assertClean([['text', `key=${API_KEY}`]], 'control'), /API key/);
		// leaving out n8n's node copies keeps everything else, so a secret outside them is still found
		const line = `debug {"error":{"node":{"name":"n","parameters":{"url":"x/${API_KEY}","q":"a\\"}"}},"message":"m ${PASSWORD}"}}`;
		const found = secretsIn(withoutNodeCopies(line));
		assert.ok(found.includes('password') && !found.some((n) => n.startsWith('API key')), found.join(', '));
		assert.deepEqual(withoutNodeCopies(line), `debug {"error":{"node":"[node configuration]","message":"m ${PASSWORD}"}}`);
	});

	it('captureLogs sees n8n Logger, LoggerProxy, console and stdout lines', () => {
		const capture = captureLogs();
		try {
			Container.get(Logger).warn(`di ${API_KEY}`);
			LoggerProxy.error(`proxy ${PASSWORD}`);
			console.log('console', { s: SIGNING_SECRET });
			process.stdout.write('# secrets-scan: stdout capture check\n');
		} finally {
			capture.restore();
		}
		const found = leaksAmong(capture.lines.map((l, i) => [`line ${i}`, l]));
		assert.equal(found.length, 3, found.join('\n'));
		assert.ok(capture.lines.some((l) => l.startsWith('stdout ')));
	});

	it('the outbound scan sees output items: a key typed into a static value (not named or marked secret) without a credential is found', async () => {
		const { texts } = await runScanned({
			items: [contact('1')],
			parameters: outboundParams({ authentication: 'none', staticValues: { value: [{ name: 'note', value: API_KEY }] } }),
		});
		assert.ok(leaksAmong(texts).some((l) => l.startsWith('main output[0]')), 'the scan must see the output item');
	});

	it('the trigger scan sees emitted items: a key in the body of an unauthenticated trigger is found', async () => {
		const h = await startTrigger('none', { authentication: 'none' }, undefined);
		try {
			const { texts, answer } = await hitScanned(h, { params: { ...CONTACT, note: API_KEY } });
			assert.equal(answer.status, 200, answer.text);
			assert.ok(leaksAmong(texts).some((l) => l.startsWith('emitted items')), 'the scan must see the emitted item');
		} finally {
			await h.close();
		}
	});
});

describe('secrets scan: outbound send delivered (receiver 200, echoing the request)', () => {
	for (const mode of AUTH_MODES) {
		it(`${mode.name}: the secret reaches the receiver, and no output item, error or log line holds it`, async () => {
			rx.setScript(echo(200));
			const { res, texts } = await runScanned({ items: ITEMS, parameters: outboundParams({ authentication: mode.authentication }), credential: mode.credential });
			assert.equal(res.error, undefined, errorTexts(res.error).slice(0, 300));
			assert.deepEqual(res.main.map((i) => i.json.status), ['delivered', 'delivered']);
			assert.equal(rx.requests.length, 2);
			for (const r of rx.requests) assert.ok(mode.reached(r), `${mode.name}: the secret did not reach the receiver`);
			assertEchoCarriedSecret(mode);
			assertResponseBodyMasked(res.main, mode);
			assertClean(texts, mode.name);
		});
	}

	for (const [variant, extra] of [
		['GET', { method: 'GET' }],
		['form', { format: 'form' }],
	] as const) {
		it(`apiKey/body with ${variant}: key on the wire, not in the output`, async () => {
			rx.setScript(echo(200));
			const { res, texts } = await runScanned({
				items: ITEMS,
				parameters: outboundParams({ authentication: 'apiKey', ...extra }),
				credential: { ...CREDENTIAL, keyLocation: 'body' },
			});
			assert.equal(res.error, undefined, errorTexts(res.error).slice(0, 300));
			const r = rx.requests[0];
			const got = variant === 'GET' ? new URL(r.url, 'http://x').searchParams.get('apiKey') : new URLSearchParams(r.body).get('apiKey');
			assert.equal(got, API_KEY);
			assertClean(texts, `apiKey/body ${variant}`);
		});
	}
});

describe('secrets scan: outbound send failing (receiver 500 always, echoing the request)', () => {
	const onErrors: OnError[] = ['stopWorkflow', 'continueRegularOutput', 'continueErrorOutput'];
	for (const mode of AUTH_MODES) {
		for (const onError of onErrors) {
			it(`${mode.name}, onError ${onError}: the masked response body and reason, the error and the logs hold no secret`, async () => {
				rx.setScript(echo(500));
				const { res, texts } = await runScanned({
					items: ITEMS,
					parameters: outboundParams({ authentication: mode.authentication }),
					credential: mode.credential,
					onError,
				});
				assert.equal(rx.requests.length, 4, 'two items, two attempts each');
				for (const r of rx.requests) assert.ok(mode.reached(r), `${mode.name}: the secret did not reach the receiver`);
				assertEchoCarriedSecret(mode);
				if (onError === 'stopWorkflow') {
					assert.ok(res.error, 'the node fails');
					assert.match(errorTexts(res.error), /failed with HTTP 500/);
					assert.match(errorTexts(res.error), /echoed/, 'the error carries the (masked) response snippet');
				} else if (onError === 'continueRegularOutput') {
					assert.deepEqual(res.main.map((i) => i.json.status), ['failed', 'failed']);
					assertResponseBodyMasked(res.main, mode);
				} else {
					assert.equal(res.main.length, 0);
					assert.equal(res.errorOutput.length, 2);
					assertResponseBodyMasked(res.errorOutput, mode);
				}
				assertClean(texts, `${mode.name} ${onError}`);
			});
		}
	}
});

describe('secrets scan: the secret also in the URL or a static value', () => {
	for (const onError of ['stopWorkflow', 'continueErrorOutput'] as OnError[]) {
		it(`__apiKey__ placeholder (apiKey/body), onError ${onError}: refused before anything is sent, the error holds no secret`, async () => {
			rx.setScript(echo(200));
			const { res, texts } = await runScanned({
				items: ITEMS,
				parameters: outboundParams({ authentication: 'apiKey', url: `${rx.url}/hook/__apiKey__?k=__apiKey__&id=__SubscriberID__` }),
				credential: { ...CREDENTIAL, keyLocation: 'body' },
				onError,
			});
			assert.equal(rx.requests.length, 0, 'nothing sent');
			assert.match(errorTexts(res.error), /__apiKey__ would put the API key into the URL/);
			assertClean(texts, `__apiKey__ ${onError}`);
		});
	}

	it('a static value equal to the API key (basicAuth), also as a URL placeholder, form-encoded', async () => {
		rx.setScript(echo(200));
		const { res, texts } = await runScanned({
			items: ITEMS,
			parameters: outboundParams({
				authentication: 'basicAuth',
				format: 'form',
				url: `${rx.url}/hook?token=__token__`,
				staticValues: { value: [{ name: 'token', value: API_KEY }, { name: 'pw', value: PASSWORD }] },
			}),
			credential: CREDENTIAL,
		});
		assert.equal(res.error, undefined, errorTexts(res.error).slice(0, 300));
		const r = rx.requests[0];
		assert.equal(new URLSearchParams(r.body).get('token'), API_KEY);
		assert.equal(new URLSearchParams(r.body).get('pw'), PASSWORD);
		assert.equal(new URL(r.url, 'http://x').searchParams.get('token'), API_KEY);
		assertClean(texts, 'static value = API key');
	});

	it('a static value equal to the API key, failing with continueRegularOutput (GET, key in the query)', async () => {
		rx.setScript(echo(500));
		const { res, texts } = await runScanned({
			items: ITEMS,
			parameters: outboundParams({ authentication: 'signature', method: 'GET', staticValues: { value: [{ name: 'token', value: API_KEY }] } }),
			credential: CREDENTIAL,
			onError: 'continueRegularOutput',
		});
		assert.equal(new URL(rx.requests[0].url, 'http://x').searchParams.get('token'), API_KEY);
		assert.deepEqual(res.main.map((i) => i.json.status), ['failed', 'failed']);
		assertClean(texts, 'static value = API key, GET, failing');
	});
});

describe('secrets scan: secrets typed into Headers and Static Values (no credential)', () => {
	const TYPED: INodeParameters = {
		authentication: 'none',
		staticValues: { value: [{ name: 'source', value: 'klicktipp' }, { name: 'token', value: PASSWORD }, { name: 'pin', value: SIGNING_SECRET, secret: true }] },
	};
	const HEADERS = { header: [{ name: 'Authorization', value: `Bearer ${API_KEY}` }, { name: 'X-Api-Key', value: PASSWORD }] };
	const reached = (r: Received, body = JSON.parse(r.body || '{}') as IDataObject) =>
		r.headers.authorization === `Bearer ${API_KEY}` && r.headers['x-api-key'] === PASSWORD && body.token === PASSWORD && body.pin === SIGNING_SECRET;

	it('Send (failing, error output), the stored rows, Redeliver (filled from its own Headers and Static Values) and Preview hold none of them', async () => {
		rx.setScript(echo(500));
		const sent = await runScanned({ items: ITEMS, parameters: outboundParams(TYPED, { headers: HEADERS }), onError: 'continueErrorOutput' });
		assert.equal(sent.res.errorOutput.length, 2);
		for (const r of rx.requests) assert.ok(reached(r), 'Send sent the typed secrets');
		assertClean(sent.texts, 'typed secrets, send');
		const rows = sent.res.errorOutput.map((item, i) => ({ id: i + 1, record: JSON.stringify(item.json.error) }));
		assertClean(rows.map((row, i): [string, string] => [`stored row ${i}`, row.record]), 'typed secrets, stored rows');
		assert.match(rows[0].record, /"masked":\{"headers":\["authorization","x-api-key"\],"parameters":\["token","pin"\]\}/);

		const redeliver = { operation: 'redeliver', authentication: 'none', options: { allowPrivateTargets: true, schedule: '0s, 0s', logResponseBody: true } };
		const missing = await runScanned({ items: rows, parameters: redeliver, onError: 'continueErrorOutput' });
		assert.match(errorTexts(missing.res.error), /Option "Headers" \(options\.headers\): the record of item 1 .*"authorization"/);
		rx.requests.length = 0;
		rx.setScript(echo(200));
		const filled = await runScanned({
			items: rows,
			parameters: { ...redeliver, staticValues: TYPED.staticValues, options: { ...redeliver.options, headers: HEADERS } },
			onError: 'continueErrorOutput',
		});
		assert.equal(rx.requests.length, 2, 'both records sent again');
		for (const r of rx.requests) assert.ok(reached(r), 'Redeliver sent the typed secrets again');
		assert.deepEqual(filled.res.main.map((i) => i.json.status), ['delivered', 'delivered']);
		assertClean(filled.texts, 'typed secrets, redeliver');

		const preview = await runScanned({ items: ITEMS, parameters: { ...outboundParams(TYPED, { headers: HEADERS }), operation: 'preview' } });
		assert.equal(((preview.res.main[0].json.request as IDataObject).headers as IDataObject)['x-api-key'], '***');
		assertClean(preview.texts, 'typed secrets, preview');
	});
});

describe('secrets scan: outbound preview and sendTest', () => {
	for (const mode of AUTH_MODES) {
		it(`preview, ${mode.name}: nothing sent, the request shown with the secret masked`, async () => {
			const { res, texts } = await runScanned({
				items: ITEMS,
				parameters: outboundParams({ operation: 'preview', authentication: mode.authentication, url: `${rx.url}/hook/__SubscriberID__?x=1` }),
				credential: mode.credential,
			});
			assert.equal(res.error, undefined, errorTexts(res.error).slice(0, 300));
			assert.equal(rx.requests.length, 0);
			assert.equal(res.main.length, 2);
			for (const item of res.main) {
				const request = item.json.request as { url: string; body: string | null; headers: Record<string, string> };
				assert.ok(mode.maskedInPreview(request), `${mode.name}: the preview should show the secret as ***: ${masked(stringify(request))}`);
			}
			assertClean(texts, `preview ${mode.name}`);
		});

		for (const [outcome, status] of [
			['delivered', 200],
			['failed', 500],
		] as const) {
			const onError: OnError = outcome === 'failed' ? 'continueErrorOutput' : 'stopWorkflow';
			it(`sendTest, ${mode.name}, ${outcome}: the secret reaches the receiver, not the output`, async () => {
				rx.setScript(echo(status));
				const { res, texts } = await runScanned({
					items: ITEMS,
					parameters: outboundParams({ operation: 'sendTest', authentication: mode.authentication }),
					credential: mode.credential,
					onError,
				});
				assert.ok(rx.requests.length >= 1);
				for (const r of rx.requests) assert.ok(mode.reached(r), `${mode.name}: the secret did not reach the receiver`);
				assertEchoCarriedSecret(mode);
				if (outcome === 'delivered') {
					assert.equal(res.error, undefined, errorTexts(res.error).slice(0, 300));
					assert.equal(res.main[0].json.status, 'delivered');
				}
				assertClean(texts, `sendTest ${mode.name} ${outcome}`);
			});
		}
	}

	it('sendTest failing with onError stop: the node error holds no secret', async () => {
		rx.setScript(echo(500));
		const { res, texts } = await runScanned({
			items: ITEMS,
			parameters: outboundParams({ operation: 'sendTest', authentication: 'apiKey' }),
			credential: { ...CREDENTIAL, keyLocation: 'query' },
		});
		assert.ok(res.error);
		assert.match(errorTexts(res.error), /failed with HTTP 500/);
		assertClean(texts, 'sendTest stop');
	});
});

describe('secrets scan: outbound errors', () => {
	it('SSRF guard refuses the loopback receiver (key in the URL query)', async () => {
		for (const onError of ['stopWorkflow', 'continueErrorOutput'] as OnError[]) {
			const { res, texts } = await runScanned({
				items: ITEMS,
				parameters: outboundParams({ authentication: 'apiKey', url: `${rx.url}/hook/__SubscriberID__` }, { allowPrivateTargets: false }),
				credential: { ...CREDENTIAL, keyLocation: 'query' },
				onError,
			});
			assert.equal(rx.requests.length, 0, 'nothing may reach a refused target');
			const text = onError === 'stopWorkflow' ? errorTexts(res.error) : stringify(res.errorOutput);
			assert.match(text, /loopback|private|refus|not allowed/i);
			assertClean(texts, `SSRF ${onError}`);
		}
		const query = await runScanned({
			items: ITEMS,
			parameters: outboundParams({ authentication: 'apiKey' }, { allowPrivateTargets: false }),
			credential: { ...CREDENTIAL, keyLocation: 'query' },
		});
		assert.ok(query.res.error);
		assertClean(query.texts, 'SSRF, key in query');
	});

	const badUrls: Array<[string, () => string, AuthName]> = [
		['not a URL, with the key typed in', () => `not a url/${API_KEY}`, 'apiKey/body'],
		['not a URL, with the key placeholder', () => `__apiKey__/hook`, 'apiKey/body'],
		['ftp scheme with the password typed in', () => `ftp://example.com/${PASSWORD}`, 'basicAuth'],
		['user:password in the URL', () => `http://${USERNAME}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${rx.port}/hook`, 'basicAuth'],
		['unknown placeholder next to the key placeholder', () => `${rx.url}/hook/__nope__?k=__apiKey__`, 'apiKey/body'],
		['unknown placeholder, key in the query', () => `${rx.url}/hook/__apiKey__`, 'apiKey/query'],
	];
	for (const [name, url, modeName] of badUrls) {
		it(`${name}: the parameter error holds no secret`, async () => {
			const mode = AUTH_MODES.find((m) => m.name === modeName)!;
			const { res, texts } = await runScanned({
				items: ITEMS,
				parameters: outboundParams({ authentication: mode.authentication, url: url() }),
				credential: mode.credential,
			});
			assert.ok(res.error, 'the node fails');
			assert.equal(rx.requests.length, 0);
			assertClean(texts, name);
		});
	}

	it('connection refused (closed port), key in the query: the network error holds no secret', async () => {
		const closed = await startReceiver();
		const url = `${closed.url}/hook`;
		await closed.close();
		const { res, texts } = await runScanned({
			items: ITEMS,
			parameters: outboundParams({ authentication: 'apiKey', url }),
			credential: { ...CREDENTIAL, keyLocation: 'query' },
		});
		assert.ok(res.error);
		assert.match(errorTexts(res.error), /Network error|ECONNREFUSED/);
		assertClean(texts, 'connection refused');
	});

	it('a credential that does not fit (header name invalid): the error holds no secret', async () => {
		const { res, texts } = await runScanned({
			items: ITEMS,
			parameters: outboundParams({ authentication: 'apiKey' }),
			credential: { ...CREDENTIAL, keyLocation: 'header', keyName: 'bad name' },
		});
		assert.ok(res.error);
		assert.match(errorTexts(res.error), /credential does not fit/);
		assertClean(texts, 'credential problem');
	});
});

// ---------- trigger ----------

const CONTACT = { email: 'max@example.de', SubscriberID: '4711', CustomFieldFirstName: 'Max' };
let triggerCounter = 0;

async function startTrigger(path: string, parameters: IDataObject, credential: Record<string, unknown> | undefined): Promise<Harness> {
	return await startWebhookHarness({
		nodeType: new KlickTippOutboundTrigger(),
		typeName: 'klickTippOutboundTrigger',
		parameters: { path: `scan-${path}`, eventType: 'auto', options: { includeRawBody: true, includeHeaders: true, dedupeSeconds: 0 }, ...parameters },
		credentials: credential ? { klickTippOutboundApi: credential } : undefined,
		workflowId: `wf-scan-${path}`,
	});
}

interface TriggerRequest {
	method?: 'GET' | 'POST';
	format?: 'json' | 'form';
	params?: Record<string, string>;
	query?: Record<string, string>;
	headers?: Record<string, string>;
	/** Sign the body with this secret (Standard Webhooks). */
	signWith?: string;
}

async function hitScanned(h: Harness, r: TriggerRequest) {
	const method = r.method ?? 'POST';
	const headers: Record<string, string> = { ...(r.headers ?? {}) };
	let body: string | undefined;
	if (method === 'POST') {
		body = r.format === 'form' ? new URLSearchParams(r.params ?? {}).toString() : JSON.stringify(r.params ?? {});
		headers['content-type'] = r.format === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
		if (r.signWith) Object.assign(headers, signPayload(r.signWith, `msg_scan_${++triggerCounter}`, body));
	}
	const before = h.runs.length;
	const capture = captureLogs();
	let answer: Awaited<ReturnType<typeof send>>;
	try {
		answer = await send(h.url, { method, headers, body, query: r.query });
	} finally {
		capture.restore();
	}
	const run = h.runs.at(-1);
	assert.equal(h.runs.length, before + 1, 'one request reached the trigger');
	assert.equal(run?.error, undefined, run?.error?.message);
	const texts: Texts = [
		['HTTP answer', answer.text],
		['HTTP answer headers', stringify([...answer.headers.entries()])],
		['emitted items', stringify(run?.workflowData ?? null)],
		['webhook result', stringify(run?.result ?? null)],
		['webhook error', errorTexts(run?.error)],
		...capture.lines.map((line, i): [string, string] => [`log line ${i}`, line]),
	];
	const item = run?.workflowData?.flat()[0]?.json as (IDataObject & { rawBody?: string; request?: IDataObject }) | undefined;
	return { answer, texts, item, run };
}

type Expect = 'accepted' | 'rejected';
interface TriggerCase {
	name: string;
	request: TriggerRequest;
	expect: Expect;
}

const wrongSimilar = (s: string, at: number) => s.slice(0, at) + (s[at] === 'a' ? 'b' : 'a') + s.slice(at + 1);
const ELSEWHERE = {
	note: `my key is ${API_KEY}, my password ${PASSWORD}.`,
	pw: PASSWORD,
	signing: SIGNING_SECRET,
	signingKey: SIGNING_KEY_B64,
	basic: BASIC_TOKEN,
	authHeaderCopy: `Basic ${BASIC_TOKEN}`,
};
const ELSEWHERE_HEADERS = {
	'x-api-key': API_KEY,
	'x-forwarded-authorization': `Basic ${BASIC_TOKEN}`,
	'x-signing-secret': SIGNING_SECRET,
	cookie: `session=${PASSWORD}`,
};

const TRIGGER_CASES: Record<AuthName, TriggerCase[]> = {
	'apiKey/body': [
		{ name: 'accepted: key in the JSON body', request: { params: { ...CONTACT, apiKey: API_KEY } }, expect: 'accepted' },
		{ name: 'accepted: key in the form body, deletion request', request: { format: 'form', params: { ...CONTACT, apiKey: API_KEY, event: 'deletion' } }, expect: 'accepted' },
		{ name: 'accepted: GET with the key in the query', request: { method: 'GET', query: { ...CONTACT, apiKey: API_KEY } }, expect: 'accepted' },
		{ name: 'accepted: key also in the query, other headers and other parameters', request: { params: { ...CONTACT, apiKey: API_KEY, APIKEY: API_KEY, ...ELSEWHERE }, query: { apiKey: API_KEY }, headers: { ...ELSEWHERE_HEADERS, authorization: `Bearer ${API_KEY}` } }, expect: 'accepted' },
		{ name: 'accepted: secrets in a form body (form-encoded spellings)', request: { format: 'form', params: { ...CONTACT, apiKey: API_KEY, ...ELSEWHERE } }, expect: 'accepted' },
		{ name: 'rejected: wrong key that contains the right one', request: { params: { ...CONTACT, apiKey: `${API_KEY}x`, note: `${API_KEY}x` } }, expect: 'rejected' },
		{ name: 'rejected: wrong key one character off', request: { params: { ...CONTACT, apiKey: wrongSimilar(API_KEY, API_KEY.length - 1) } }, expect: 'rejected' },
		{ name: 'rejected: right key padded with spaces', request: { format: 'form', params: { ...CONTACT, apiKey: ` ${API_KEY} ` } }, expect: 'rejected' },
		{ name: 'rejected: right key only in a header', request: { params: { ...CONTACT }, headers: { apikey: API_KEY, authorization: `Bearer ${API_KEY}` } }, expect: 'rejected' },
		{ name: 'rejected: right key only in the query of a POST', request: { params: { ...CONTACT, note: API_KEY }, query: { apiKey: API_KEY } }, expect: 'rejected' },
		{ name: 'rejected: right key under another name', request: { params: { ...CONTACT, api_key: API_KEY, ...ELSEWHERE } }, expect: 'rejected' },
	],
	'apiKey/query': [
		{ name: 'accepted: key in the query of a POST', request: { params: { ...CONTACT }, query: { apiKey: API_KEY } }, expect: 'accepted' },
		{ name: 'accepted: GET with the key in the query', request: { method: 'GET', query: { ...CONTACT, apiKey: API_KEY, pw: PASSWORD } }, expect: 'accepted' },
		{ name: 'accepted: key also in the body and headers', request: { params: { ...CONTACT, apiKey: API_KEY, ...ELSEWHERE }, query: { apiKey: API_KEY }, headers: ELSEWHERE_HEADERS }, expect: 'accepted' },
		{ name: 'rejected: wrong key that contains the right one', request: { params: { ...CONTACT }, query: { apiKey: `${API_KEY}0` } }, expect: 'rejected' },
		{ name: 'rejected: right key only in the body', request: { params: { ...CONTACT, apiKey: API_KEY } }, expect: 'rejected' },
		{ name: 'rejected: GET with the key under another name', request: { method: 'GET', query: { ...CONTACT, key: API_KEY } }, expect: 'rejected' },
	],
	'apiKey/header': [
		{ name: 'accepted: key in the header', request: { params: { ...CONTACT }, headers: { apikey: API_KEY } }, expect: 'accepted' },
		{ name: 'accepted: key as a Bearer header, also in body and query', request: { params: { ...CONTACT, apiKey: API_KEY, ...ELSEWHERE }, query: { apiKey: API_KEY }, headers: { apikey: `Bearer ${API_KEY}`, ...ELSEWHERE_HEADERS } }, expect: 'accepted' },
		{ name: 'accepted: GET with the key in the header and the query', request: { method: 'GET', query: { ...CONTACT, apiKey: API_KEY }, headers: { apikey: API_KEY } }, expect: 'accepted' },
		{ name: 'rejected: wrong key that contains the right one', request: { params: { ...CONTACT }, headers: { apikey: `${API_KEY}${API_KEY}` } }, expect: 'rejected' },
		{ name: 'rejected: GET with the key in the query only', request: { method: 'GET', query: { ...CONTACT, apiKey: API_KEY } }, expect: 'rejected' },
		{ name: 'rejected: right key in the Authorization header', request: { params: { ...CONTACT, apiKey: API_KEY }, headers: { authorization: `Bearer ${API_KEY}` } }, expect: 'rejected' },
	],
	basicAuth: [
		{ name: 'accepted: Authorization Basic', request: { params: { ...CONTACT }, headers: { authorization: `Basic ${BASIC_TOKEN}` } }, expect: 'accepted' },
		{ name: 'accepted: GET with the password and token in the query', request: { method: 'GET', query: { ...CONTACT, password: PASSWORD, basic: BASIC_TOKEN }, headers: { authorization: `Basic ${BASIC_TOKEN}` } }, expect: 'accepted' },
		{ name: 'accepted: secrets also in body and other headers', request: { format: 'form', params: { ...CONTACT, ...ELSEWHERE }, headers: { authorization: `Basic ${BASIC_TOKEN}`, ...ELSEWHERE_HEADERS } }, expect: 'accepted' },
		{ name: 'rejected: wrong password that contains the right one', request: { params: { ...CONTACT }, headers: { authorization: `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}x`).toString('base64')}` } }, expect: 'rejected' },
		{ name: 'rejected: wrong password one character off', request: { params: { ...CONTACT }, headers: { authorization: `Basic ${Buffer.from(`${USERNAME}:${wrongSimilar(PASSWORD, 5)}`).toString('base64')}` } }, expect: 'rejected' },
		{ name: 'rejected: the right password as Bearer', request: { params: { ...CONTACT }, headers: { authorization: `Bearer ${PASSWORD}` } }, expect: 'rejected' },
		{ name: 'rejected: the right login only in the body and another header', request: { params: { ...CONTACT, username: USERNAME, password: PASSWORD, authorization: `Basic ${BASIC_TOKEN}` }, headers: { 'x-forwarded-authorization': `Basic ${BASIC_TOKEN}` } }, expect: 'rejected' },
	],
	bearerToken: [
		{ name: 'accepted: Authorization Bearer', request: { params: { ...CONTACT }, headers: { authorization: `Bearer ${API_KEY}` } }, expect: 'accepted' },
		{ name: 'accepted: GET, the token also in the query, body and other headers', request: { method: 'GET', query: { ...CONTACT, apiKey: API_KEY, ...ELSEWHERE }, headers: { authorization: `Bearer ${API_KEY}`, ...ELSEWHERE_HEADERS } }, expect: 'accepted' },
		{ name: 'accepted: form body with the secrets in it', request: { format: 'form', params: { ...CONTACT, token: API_KEY, ...ELSEWHERE }, headers: { authorization: `bearer ${API_KEY}` } }, expect: 'accepted' },
		{ name: 'rejected: wrong token that contains the right one', request: { params: { ...CONTACT }, headers: { authorization: `Bearer ${API_KEY}x` } }, expect: 'rejected' },
		{ name: 'rejected: the token without the scheme', request: { params: { ...CONTACT }, headers: { authorization: API_KEY } }, expect: 'rejected' },
		{ name: 'rejected: the token only in the body and another header', request: { params: { ...CONTACT, authorization: `Bearer ${API_KEY}` }, headers: { 'x-api-key': API_KEY } }, expect: 'rejected' },
	],
	signature: [
		{ name: 'accepted: signed JSON', request: { params: { ...CONTACT }, signWith: SIGNING_SECRET }, expect: 'accepted' },
		{ name: 'accepted: signed form, deletion request', request: { format: 'form', params: { ...CONTACT, event: 'deletion' }, signWith: SIGNING_SECRET }, expect: 'accepted' },
		{ name: 'accepted: signed, with the secret also in the body and headers', request: { params: { ...CONTACT, ...ELSEWHERE }, headers: ELSEWHERE_HEADERS, signWith: SIGNING_SECRET }, expect: 'accepted' },
		{ name: 'accepted: signed form with the secrets in it', request: { format: 'form', params: { ...CONTACT, ...ELSEWHERE }, signWith: SIGNING_SECRET }, expect: 'accepted' },
		{ name: 'rejected: signed with a secret one character off', request: { params: { ...CONTACT }, signWith: wrongSimilar(SIGNING_SECRET, 'whsec_'.length + 2) }, expect: 'rejected' },
		{ name: 'rejected: signed with a plain-text secret that contains the key', request: { params: { ...CONTACT, note: SIGNING_SECRET }, signWith: `${SIGNING_KEY_B64}x` }, expect: 'rejected' },
		{ name: 'rejected: the secret itself as the signature', request: { params: { ...CONTACT }, headers: { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': `v1,${SIGNING_KEY_B64}` } }, expect: 'rejected' },
		{ name: 'rejected: GET with the secret in the query', request: { method: 'GET', query: { ...CONTACT, signingSecret: SIGNING_SECRET, key: SIGNING_KEY_B64 } }, expect: 'rejected' },
	],
};

describe('secrets scan: Redeliver (the stored record, the redelivery, its output)', () => {
	for (const mode of AUTH_MODES) {
		it(`${mode.name}: the record from the error output holds no secret; redelivered (500 then 200, echoing) nothing leaks`, async () => {
			rx.setScript(echo(500));
			const sent = await runScanned({
				items: ITEMS,
				parameters: outboundParams({ authentication: mode.authentication }),
				credential: mode.credential,
				onError: 'continueErrorOutput',
			});
			assert.equal(sent.res.errorOutput.length, 2);
			assertClean(sent.texts, `${mode.name} send`);
			const rows = sent.res.errorOutput.map((item, i) => ({ id: i + 1, record: JSON.stringify(item.json.error) }));
			assertClean(rows.map((row, i): [string, string] => [`stored row ${i}`, row.record]), `${mode.name} stored rows`);
			for (const status of [500, 200]) {
				rx.requests.length = 0;
				rx.setScript(echo(status));
				const { res, texts } = await runScanned({
					items: rows,
					parameters: { operation: 'redeliver', authentication: mode.authentication, options: { allowPrivateTargets: true, schedule: '0s, 0s', logResponseBody: true, outageBudgetSeconds: 0 } },
					credential: mode.credential,
					onError: 'continueErrorOutput',
				});
				assert.equal(rx.requests.length, 2, 'both records sent again');
				for (const r of rx.requests) assert.ok(mode.reached(r), `${mode.name}: the credential was applied again`);
				assertEchoCarriedSecret(mode);
				assert.deepEqual(res.main.map((i) => i.json.status), status === 200 ? ['delivered', 'delivered'] : ['failed', 'failed']);
				assertResponseBodyMasked(res.main, mode);
				assertClean(texts, `${mode.name} redeliver ${status}`);
			}
		});
	}
});

describe('secrets scan: trigger paths (real HTTP through n8n-core WebhookContext)', () => {
	const harnesses = new Map<AuthName, Harness>();
	before(async () => {
		for (const mode of AUTH_MODES) {
			harnesses.set(mode.name, await startTrigger(mode.name.replace('/', '-'), { authentication: mode.authentication }, mode.credential));
		}
	});
	after(async () => {
		for (const h of harnesses.values()) await h.close();
	});

	for (const mode of AUTH_MODES) {
		for (const c of TRIGGER_CASES[mode.name]) {
			it(`${mode.name}, ${c.name}`, async () => {
				const h = harnesses.get(mode.name)!;
				const { answer, texts, item } = await hitScanned(h, c.request);
				if (c.expect === 'accepted') {
					assert.equal(answer.status, 200, masked(answer.text));
					assert.ok(item, 'an item is emitted');
					if ((c.request.method ?? 'POST') === 'POST') assert.equal(typeof item.rawBody, 'string', 'includeRawBody adds the raw body');
					assert.equal(typeof (item.request as IDataObject).headers, 'object', 'includeHeaders adds the headers');
				} else {
					assert.equal(answer.status, 401, masked(answer.text));
					assert.equal(item, undefined, 'nothing is emitted');
				}
				assertClean(texts, `${mode.name} ${c.name}`);
			});
		}
	}
});
