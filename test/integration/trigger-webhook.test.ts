/**
 * The KlickTipp Outbound Trigger's real webhook() driven through n8n-core's WebhookContext with real HTTP
 * requests (see test/helpers/webhook-harness.ts for how n8n 2.4.8's body pre-parsing is mirrored).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { KlickTippOutboundTrigger } from '../../nodes/KlickTippOutboundTrigger/KlickTippOutboundTrigger.node.js';
import { signPayload } from '../../nodes/core/signature';
import { send, startWebhookHarness, type Harness } from '../helpers/webhook-harness';

const API_KEY = `kt_${randomBytes(16).toString('hex')}`;
const PASSWORD = `pw_${randomBytes(12).toString('hex')}`;
const SIGNING_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const SECRETS = [API_KEY, PASSWORD, SIGNING_SECRET, encodeURIComponent(SIGNING_SECRET)];
const credential = { apiKey: API_KEY, keyName: 'apiKey', keyLocation: 'body', username: 'klicktipp', password: PASSWORD, signingSecret: SIGNING_SECRET };
const FORM = 'application/x-www-form-urlencoded';

const harnesses: Harness[] = [];
let counter = 0;
async function start(parameters: INodeParameters, cred: Record<string, unknown> | null = credential): Promise<Harness> {
	const h = await startWebhookHarness({
		nodeType: new KlickTippOutboundTrigger(),
		typeName: 'klickTippOutboundTrigger',
		parameters: { path: `kt-${++counter}`, ...parameters },
		credentials: cred ? { klickTippOutboundApi: cred } : undefined,
		workflowId: `wf-${counter}`,
	});
	harnesses.push(h);
	return h;
}
after(async () => {
	for (const h of harnesses) await h.close();
});

/** Every answer and item text seen in this file, checked for secrets at the end. */
const seen: string[] = [];
function record(h: Harness, answer: { text: string }) {
	seen.push(answer.text, JSON.stringify(h.runs.at(-1)?.workflowData ?? null), String(h.runs.at(-1)?.error?.message ?? ''));
}
async function post(h: Harness, body: string | Buffer | FormData, contentType?: string, headers: Record<string, string> = {}, query?: Record<string, string>) {
	const answer = await send(h.url, { body, headers: contentType ? { 'content-type': contentType, ...headers } : headers, query });
	record(h, answer);
	return answer;
}
function lastItems(h: Harness): INodeExecutionData[][] | undefined {
	return h.runs.at(-1)?.workflowData;
}
function onlyItem(h: Harness, output = 0) {
	const data = lastItems(h);
	assert.ok(data, 'an execution would start');
	assert.equal(data[output].length, 1);
	return data[output][0].json as Record<string, any>;
}
function noExecution(h: Harness) {
	const run = h.runs.at(-1);
	assert.ok(run);
	assert.equal(run.error, undefined, run.error?.message);
	assert.equal(run.workflowData, undefined, 'no execution may start');
}
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();

describe('trigger over HTTP: API key (static value)', () => {
	let h: Harness;
	before(async () => {
		h = await start({ authentication: 'apiKey', eventType: 'contactData' });
	});

	it('form POST: 200 accepted, one item with the exact contract, no API key in it', async () => {
		const answer = await post(h, `email=Max.Mustermann%40Example.de&SubscriberID=4711&CustomFieldFirstName=J%C3%BCrgen&CustomFieldLastName=M%C3%BCller+Sch%C3%A4fer&PhoneNumber=0049170123456&CustomField219989=Gold&apiKey=${API_KEY}&source=klicktipp`, `${FORM}; charset=UTF-8`);
		assert.equal(answer.status, 200);
		assert.match(answer.headers.get('content-type') ?? '', /application\/json/);
		assert.deepEqual(Object.keys(answer.json).sort(), ['event', 'eventId', 'isTest', 'status']);
		assert.equal(answer.json.status, 'accepted');
		const item = onlyItem(h);
		assert.equal(lastItems(h)?.length, 1, 'one output');
		assert.deepEqual(Object.keys(item).sort(), ['contact', 'event', 'eventId', 'hint', 'isTest', 'params', 'receivedAt', 'request', 'unmappedParameters']);
		assert.deepEqual(item.unmappedParameters, ['source'], 'the static value is not part of the contact: a hint says so');
		assert.equal(item.event, 'contactData');
		assert.equal(item.eventId, answer.json.eventId);
		assert.equal(item.isTest, false);
		assert.ok(!Number.isNaN(Date.parse(item.receivedAt)));
		assert.deepEqual(item.contact, {
			id: '4711',
			email: 'max.mustermann@example.de',
			firstName: 'Jürgen',
			lastName: 'Müller Schäfer',
			phone: '+49170123456',
			fields: { fieldFirstName: 'Jürgen', fieldLastName: 'Müller Schäfer', field219989: 'Gold' },
		});
		assert.equal(item.params.source, 'klicktipp');
		assert.equal(item.params.apiKey, undefined);
		assert.deepEqual(item.request, { method: 'POST', contentType: FORM, query: {} });
	});

	it('multipart POST (n8n pre-parses it, no raw body): accepted', async () => {
		const fd = new FormData();
		fd.append('email', 'multi@example.de');
		fd.append('CustomFieldFirstName', 'Zoë');
		fd.append('apiKey', API_KEY);
		const answer = await post(h, fd);
		assert.equal(answer.status, 200, answer.text);
		const item = onlyItem(h);
		assert.equal(item.contact.email, 'multi@example.de');
		assert.equal(item.contact.firstName, 'Zoë');
		assert.equal(item.request.contentType, 'multipart/form-data');
		assert.equal(item.params.apiKey, undefined);
	});

	it('JSON POST: accepted; JSON values kept', async () => {
		const answer = await post(h, JSON.stringify({ email: 'json@example.de', SubscriberID: 99, apiKey: API_KEY, extra: { a: [1, 2] } }), 'application/json');
		assert.equal(answer.status, 200, answer.text);
		const item = onlyItem(h);
		assert.equal(item.contact.id, '99');
		assert.deepEqual(item.params, { email: 'json@example.de', SubscriberID: 99, extra: { a: [1, 2] } });
	});

	it('GET: the key is a query parameter; accepted', async () => {
		const answer = await send(h.url, { method: 'GET', query: { email: 'get@example.de', apiKey: API_KEY, SubscriberID: '5' } });
		record(h, answer);
		assert.equal(answer.status, 200, answer.text);
		const item = onlyItem(h);
		assert.equal(item.request.method, 'GET');
		assert.deepEqual(item.request.query, { email: 'get@example.de', SubscriberID: '5' });
		assert.equal(item.contact.email, 'get@example.de');
	});

	it('wrong or missing key: 401, nothing starts, the reason says where the key was expected', async () => {
		let answer = await post(h, form({ email: 'a@b.de', apiKey: 'wrong' }), FORM);
		assert.equal(answer.status, 401);
		assert.deepEqual(Object.keys(answer.json).sort(), ['code', 'reason', 'status']);
		assert.equal(answer.json.status, 'rejected');
		assert.equal(answer.json.code, 401);
		assert.match(String(answer.json.reason), /body parameter "apiKey"/);
		noExecution(h);
		answer = await post(h, form({ email: 'a@b.de' }), FORM);
		assert.equal(answer.status, 401);
		noExecution(h);
	});

	it('no Content-Type: a form body and a JSON object are read as such (n8n keeps the raw bytes); other bodies 415', async () => {
		// A Buffer body makes fetch send no Content-Type at all (a string would get text/plain)
		let answer = await post(h, Buffer.from(`email=nocttype%40example.de&SubscriberID=31&CustomFieldFirstName=J%C3%BCrgen&apiKey=${API_KEY}`));
		assert.equal(answer.status, 200, answer.text);
		let item = onlyItem(h);
		assert.equal(item.request.contentType, '(none; read as form)');
		assert.deepEqual(item.params, { email: 'nocttype@example.de', SubscriberID: '31', CustomFieldFirstName: 'Jürgen' });
		answer = await post(h, Buffer.from(JSON.stringify({ email: 'nocttype-json@example.de', apiKey: API_KEY })));
		assert.equal(answer.status, 200, answer.text);
		item = onlyItem(h);
		assert.equal(item.request.contentType, '(none; read as JSON)');
		assert.equal(item.contact.email, 'nocttype-json@example.de');
		for (const body of [`apiKey=${API_KEY} email=a@b.de`, JSON.stringify([{ email: 'a@b.de', apiKey: API_KEY }]), '<contact email="a@b.de"/>']) {
			answer = await post(h, Buffer.from(body));
			assert.equal(answer.status, 415, body);
			assert.match(String(answer.json.reason), /no Content-Type, and the body is neither form data nor a JSON object/);
			noExecution(h);
		}
	});

	it('400 empty body, 400 JSON array, 415 text/plain, 422 no email and no contact ID, 422 malformed JSON (n8n itself)', async () => {
		let answer = await post(h, '', FORM);
		assert.equal(answer.status, 400);
		assert.match(String(answer.json.reason), /No parameters/);
		noExecution(h);
		answer = await post(h, JSON.stringify([{ email: 'a@b.de', apiKey: API_KEY }]), 'application/json');
		assert.equal(answer.status, 400);
		assert.match(String(answer.json.reason), /array/);
		noExecution(h);
		answer = await post(h, `apiKey=${API_KEY}`, 'text/plain');
		assert.equal(answer.status, 415);
		assert.match(String(answer.json.reason), /text\/plain/);
		noExecution(h);
		answer = await post(h, form({ apiKey: API_KEY, CustomFieldFirstName: 'Max' }), FORM);
		assert.equal(answer.status, 422);
		assert.match(String(answer.json.reason), /email address/);
		noExecution(h);
		const runsBefore = h.runs.length;
		answer = await post(h, '{"email": ', 'application/json');
		assert.equal(answer.status, 422);
		assert.equal(h.runs.length, runsBefore + 1);
		assert.equal(h.runs.at(-1)?.result, undefined, 'n8n answered before the node ran');
	});
});

describe('trigger over HTTP: Basic Auth', () => {
	let h: Harness;
	before(async () => {
		h = await start({ authentication: 'basicAuth', eventType: 'contactData' });
	});
	const auth = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });

	it('accepts the right login', async () => {
		const answer = await post(h, form({ email: 'basic@example.de' }), FORM, auth('klicktipp', PASSWORD));
		assert.equal(answer.status, 200, answer.text);
		assert.equal(onlyItem(h).contact.email, 'basic@example.de');
	});
	it('401 with WWW-Authenticate for a wrong password or none', async () => {
		for (const headers of [auth('klicktipp', 'nope'), {}]) {
			const answer = await post(h, form({ email: 'basic@example.de' }), FORM, headers);
			assert.equal(answer.status, 401);
			assert.equal(answer.headers.get('www-authenticate'), 'Basic realm="KlickTipp Outbound"');
			noExecution(h);
		}
	});
});

describe('trigger over HTTP: signature (Standard Webhooks)', () => {
	let h: Harness;
	before(async () => {
		h = await start({ authentication: 'signature', eventType: 'contactData' });
	});

	it('accepts a signed JSON and a signed form body; eventId is the webhook-id', async () => {
		const json = JSON.stringify({ email: 'signed@example.de', SubscriberID: '7' });
		let answer = await post(h, json, 'application/json', { ...signPayload(SIGNING_SECRET, 'msg_json_1', json) });
		assert.equal(answer.status, 200, answer.text);
		assert.equal(onlyItem(h).eventId, 'msg_json_1');
		const body = 'email=signed%40example.de&CustomFieldFirstName=J%C3%BCrgen';
		answer = await post(h, body, FORM, { ...signPayload(SIGNING_SECRET, 'msg_form_1', body) });
		assert.equal(answer.status, 200, answer.text);
		assert.equal(onlyItem(h).contact.firstName, 'Jürgen');
	});
	it('no Content-Type: a signed form body is verified over its exact bytes; a changed byte is 401', async () => {
		const body = 'email=signed-noct%40example.de&SubscriberID=8';
		let answer = await post(h, Buffer.from(body), undefined, { ...signPayload(SIGNING_SECRET, 'msg_noct_1', body) });
		assert.equal(answer.status, 200, answer.text);
		const item = onlyItem(h);
		assert.equal(item.eventId, 'msg_noct_1');
		assert.equal(item.request.contentType, '(none; read as form)');
		answer = await post(h, Buffer.from(`${body}&`), undefined, { ...signPayload(SIGNING_SECRET, 'msg_noct_2', body) });
		assert.equal(answer.status, 401);
		assert.match(String(answer.json.reason), /Signature invalid/);
		noExecution(h);
	});
	it('401 for a changed body, a stale timestamp, a wrong secret, no headers, and multipart', async () => {
		const json = JSON.stringify({ email: 'signed@example.de' });
		const stale = Math.floor(Date.now() / 1000) - 600;
		const cases: Array<[string, Record<string, string>, RegExp]> = [
			[json.replace('signed', 'evil'), { ...signPayload(SIGNING_SECRET, 'm1', json) }, /Signature invalid/],
			[json, { ...signPayload(SIGNING_SECRET, 'm2', json, stale) }, /seconds off/],
			[json, { ...signPayload(`whsec_${randomBytes(32).toString('base64')}`, 'm3', json) }, /Signature invalid/],
			[json, {}, /Missing webhook-id/],
		];
		for (const [body, headers, reason] of cases) {
			const answer = await post(h, body, 'application/json', headers);
			assert.equal(answer.status, 401);
			assert.match(String(answer.json.reason), reason);
			noExecution(h);
		}
		const fd = new FormData();
		fd.append('email', 'x@example.de');
		const answer = await post(h, fd, undefined, { ...signPayload(SIGNING_SECRET, 'm4', 'email=x') });
		assert.equal(answer.status, 401);
		assert.match(String(answer.json.reason), /multipart\/form-data.*application\/json/);
		noExecution(h);
	});
});

describe('trigger over HTTP: no authentication, incomplete credential', () => {
	it('none: accepted without a credential', async () => {
		const h = await start({ authentication: 'none', eventType: 'contactData' }, null);
		const answer = await post(h, form({ email: 'open@example.de' }), FORM);
		assert.equal(answer.status, 200, answer.text);
	});
	it('an empty API key in the credential rejects everything (401), never accepts', async () => {
		const h = await start({ authentication: 'apiKey', eventType: 'contactData' }, { ...credential, apiKey: '' });
		const answer = await post(h, form({ email: 'a@b.de', apiKey: '' }), FORM);
		assert.equal(answer.status, 401);
		assert.match(String(answer.json.reason), /credential .* is incomplete/);
		noExecution(h);
	});
	it('a missing credential: 401, not 500', async () => {
		const h = await start({ authentication: 'basicAuth', eventType: 'contactData' }, null);
		const answer = await post(h, form({ email: 'a@b.de' }), FORM);
		assert.equal(answer.status, 401);
		noExecution(h);
	});
});

describe('trigger over HTTP: auto routing, test events, duplicates', () => {
	it('eventType auto: deletion requests go to output 1, contact data to output 0', async () => {
		const h = await start({ authentication: 'apiKey', eventType: 'auto' });
		let answer = await post(h, form({ email: 'del@example.de', SubscriberID: '8', event: 'Deletion', apiKey: API_KEY }), FORM);
		assert.equal(answer.status, 200);
		assert.equal(answer.json.event, 'deletionRequest');
		assert.equal(lastItems(h)?.length, 2);
		assert.equal(lastItems(h)?.[0].length, 0);
		assert.equal(onlyItem(h, 1).event, 'deletionRequest');
		answer = await post(h, form({ email: 'c@example.de', apiKey: API_KEY }), FORM);
		assert.equal(answer.json.event, 'contactData');
		assert.equal(onlyItem(h, 0).contact.email, 'c@example.de');
		assert.equal(lastItems(h)?.[1].length, 0);
	});
	it('the "Save and test" request (12345) is flagged; with ignoreTestEvents it is answered and starts nothing', async () => {
		const h = await start({ authentication: 'apiKey', eventType: 'contactData' });
		let answer = await post(h, form({ SubscriberID: '12345', email: 'test@example.de', apiKey: API_KEY }), FORM);
		assert.equal(answer.json.isTest, true);
		assert.equal(onlyItem(h).isTest, true);
		const h2 = await start({ authentication: 'apiKey', eventType: 'contactData', options: { ignoreTestEvents: true } });
		answer = await post(h2, form({ SubscriberID: '12345', apiKey: API_KEY }), FORM);
		assert.equal(answer.status, 200);
		assert.equal(answer.json.status, 'ignored-test');
		noExecution(h2);
	});
	it('a duplicate within dedupeSeconds is answered 200 "duplicate" and starts nothing; create() clears the memory', async () => {
		const h = await start({ authentication: 'apiKey', eventType: 'contactData', options: { dedupeSeconds: 300 } });
		const body = form({ email: 'dup@example.de', SubscriberID: '31', apiKey: API_KEY });
		let answer = await post(h, body, FORM);
		assert.equal(answer.json.status, 'accepted');
		answer = await post(h, body, FORM);
		assert.equal(answer.status, 200);
		assert.equal(answer.json.status, 'duplicate');
		noExecution(h);
		// the same parameters as JSON are the same event
		answer = await post(h, JSON.stringify({ SubscriberID: '31', apiKey: API_KEY, email: 'dup@example.de' }), 'application/json');
		assert.equal(answer.json.status, 'duplicate');
		assert.equal(await h.hook('checkExists'), false);
		assert.equal(await h.hook('create'), true);
		answer = await post(h, body, FORM);
		assert.equal(answer.json.status, 'accepted');
		assert.equal(await h.hook('delete'), true);
		answer = await post(h, body, FORM);
		assert.equal(answer.json.status, 'duplicate', 'delete() clears only the test-webhook memory');
	});
	it('response code option and include raw body / headers with secrets masked', async () => {
		const h = await start({ authentication: 'apiKey', eventType: 'contactData', options: { responseCode: 202, includeRawBody: true, includeHeaders: true, dedupeSeconds: 0 } });
		const answer = await post(h, form({ email: 'raw@example.de', apiKey: API_KEY }), FORM, { 'x-trace': 't1' });
		assert.equal(answer.status, 202);
		const item = onlyItem(h);
		assert.equal(item.rawBody, 'email=raw%40example.de&apiKey=***');
		assert.equal(item.request.headers['x-trace'], 't1');
	});
});

describe('trigger over HTTP: secrets', () => {
	it('no secret appears in any answer or output item of this file', () => {
		assert.ok(seen.length > 40);
		for (const text of seen) for (const secret of SECRETS) assert.ok(!text.includes(secret), `secret leaked in ${text.slice(0, 200)}`);
	});
});

describe('trigger over HTTP: IP Allowlist (the client address as n8n computes it)', () => {
	const body = () => `email=ip%40example.de&apiKey=${API_KEY}`;
	async function startWith(ipAllowlist: string, proxyHops = 0): Promise<Harness> {
		const h = await startWebhookHarness({
			nodeType: new KlickTippOutboundTrigger(),
			typeName: 'klickTippOutboundTrigger',
			parameters: { path: `kt-ip-${++counter}`, authentication: 'apiKey', options: { ipAllowlist, dedupeSeconds: 0 } },
			credentials: { klickTippOutboundApi: credential },
			workflowId: `wf-ip-${counter}`,
			proxyHops,
		});
		harnesses.push(h);
		return h;
	}

	it('the socket address: 127.0.0.1 in the list passes; outside it: 403 with the reason, no execution, also with a wrong key', async () => {
		const allowed = await startWith('127.0.0.0/8, ::1');
		assert.equal((await post(allowed, body(), FORM)).status, 200);
		onlyItem(allowed);
		const refused = await startWith('203.0.113.0/24');
		for (const b of [body(), 'apiKey=wrong']) {
			const answer = await post(refused, b, FORM, { 'x-forwarded-for': '203.0.113.5' });
			assert.equal(answer.status, 403, answer.text);
			assert.deepEqual(answer.json, { status: 'rejected', code: 403, reason: "The caller's address 127.0.0.1 is not in the trigger's IP Allowlist" });
			noExecution(refused);
		}
	});

	it('behind a proxy (N8N_PROXY_HOPS=1): the forwarded client address decides', async () => {
		const h = await startWith('203.0.113.0/24', 1);
		assert.equal((await post(h, body(), FORM, { 'x-forwarded-for': '203.0.113.5' })).status, 200);
		onlyItem(h);
		const answer = await post(h, body(), FORM, { 'x-forwarded-for': '203.0.113.5, 198.51.100.7' });
		assert.equal(answer.status, 403, 'only the hop n8n trusts counts, not an address the caller put in front');
		assert.match(answer.text, /198\.51\.100\.7 is not in the trigger's IP Allowlist/);
	});

	it('an invalid entry stops the activation naming the option; a request is answered 500 with the reason', async () => {
		const h = await startWith('203.0.113.0/24, intranet');
		await assert.rejects(() => h.hook('create'), /Option "IP Allowlist" \(options\.ipAllowlist\): "intranet" is not an IPv4 or IPv6 address/);
		const answer = await post(h, body(), FORM);
		assert.equal(answer.status, 500);
		assert.match(String(answer.json.reason), /^The trigger is misconfigured\. Option "IP Allowlist"/);
		noExecution(h);
		const ok = await startWith('127.0.0.1');
		assert.equal(await ok.hook('create'), true);
	});
});
