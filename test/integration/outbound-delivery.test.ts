/**
 * The KlickTipp Outbound node run by n8n-core's WorkflowExecute against a real HTTP receiver on 127.0.0.1:
 * what arrives on the wire for each mapping, encoding and authentication.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'crypto';
import { Webhook } from 'standardwebhooks';

import type { IDataObject } from 'n8n-workflow';

import { runOutbound } from '../helpers/execute-harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

const contact = (id: string, extra: Record<string, unknown> = {}) => ({
	event: 'contactData',
	eventId: `ev-${id}`,
	isTest: false,
	contact: { id, email: `kunde${id}@example.de`, firstName: 'Jürgen', lastName: 'Groß-Müller', fields: { field219989: '' } },
	...extra,
});

let rx: Receiver;
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

const baseParams = () => ({
	outboundName: 'CRM',
	label: 'crm',
	url: `${rx.url}/crm/__SubscriberID__?source=kt`,
	fields: {
		field: [
			{ value: '={{ $json.contact.id }}', parameterName: 'SubscriberID', defaultValue: '' },
			{ value: '={{ $json.contact.firstName }}', parameterName: 'first_name', defaultValue: 'Kunde' },
			{ value: '={{ $json.contact.fields.field219989 }}', parameterName: 'plan', defaultValue: 'basic' },
		],
	},
	staticValues: { value: [{ name: 'list', value: 'newsletter' }, { name: 'city', value: 'Köln' }] },
	options: { allowPrivateTargets: true },
});

describe('outbound delivery: mapping and encodings on the wire', () => {
	it('per item what has an expression, once what has none: fields and a header by item, the URL and static values shared', async () => {
		const params = {
			...baseParams(),
			options: { allowPrivateTargets: true, headers: { header: [{ name: 'X-Contact', value: '={{ $json.contact.id }}' }, { name: 'X-Fixed', value: 'same' }] } },
		};
		const res = await runOutbound({ items: [contact('4711'), contact('4712', { contact: { id: '4712', email: 'b@example.de', firstName: 'Anna', fields: { field219989: 'pro' } } })], parameters: params });
		assert.equal(res.error, undefined);
		const byId = new Map(rx.requests.map((r) => [r.url, r]));
		const [a, b] = [byId.get('/crm/4711?source=kt')!, byId.get('/crm/4712?source=kt')!];
		assert.deepEqual([a.headers['x-contact'], b.headers['x-contact']], ['4711', '4712']);
		assert.deepEqual([a.headers['x-fixed'], b.headers['x-fixed']], ['same', 'same']);
		assert.deepEqual([JSON.parse(a.body).first_name, JSON.parse(b.body).first_name], ['Jürgen', 'Anna']);
		assert.deepEqual([JSON.parse(a.body).plan, JSON.parse(b.body).plan], ['basic', 'pro']);
		assert.deepEqual([JSON.parse(a.body).city, JSON.parse(b.body).city], ['Köln', 'Köln']);
	});

	it('JSON: email, fields, defaults, static values, URL placeholder, UTF-8', async () => {
		const res = await runOutbound({ items: [contact('4711')], parameters: baseParams() });
		assert.equal(res.error, undefined);
		assert.equal(rx.requests.length, 1);
		const got = rx.requests[0];
		assert.equal(got.method, 'POST');
		assert.equal(got.url, '/crm/4711?source=kt');
		assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
		assert.deepEqual(JSON.parse(got.body), {
			email: 'kunde4711@example.de',
			SubscriberID: '4711',
			first_name: 'Jürgen',
			plan: 'basic',
			list: 'newsletter',
			city: 'Köln',
		});
		assert.equal(got.rawBody.toString('utf8'), res.main[0].json.request && (res.main[0].json.request as { body: string }).body);
		assert.equal(res.main[0].json.status, 'delivered');
		assert.deepEqual(res.main[0].pairedItem, { item: 0 });
	});

	it('form: application/x-www-form-urlencoded with UTF-8 umlauts', async () => {
		await runOutbound({ items: [contact('1', { contact: { id: '1', email: 'ä@example.de', firstName: 'Zoë Ärger' } })], parameters: { ...baseParams(), format: 'form' } });
		const got = rx.requests[0];
		assert.equal(got.headers['content-type'], 'application/x-www-form-urlencoded; charset=utf-8');
		const form = new URLSearchParams(got.body);
		assert.equal(form.get('email'), 'ä@example.de');
		assert.equal(form.get('first_name'), 'Zoë Ärger');
		assert.equal(form.get('city'), 'Köln');
		assert.match(got.body, /first_name=Zo%C3%AB\+%C3%84rger/);
	});

	it('GET: every parameter in the query, appended to a WP Fusion style query', async () => {
		await runOutbound({
			items: [contact('99')],
			parameters: { ...baseParams(), method: 'GET', url: `${rx.url}/?wpf_action=add&access_key=abc123` },
		});
		const got = rx.requests[0];
		assert.equal(got.method, 'GET');
		assert.equal(got.rawBody.length, 0);
		const u = new URL(got.url, 'http://x');
		assert.equal(u.searchParams.get('wpf_action'), 'add');
		assert.equal(u.searchParams.get('access_key'), 'abc123');
		assert.equal(u.searchParams.get('email'), 'kunde99@example.de');
		assert.equal(u.searchParams.get('SubscriberID'), '99');
		assert.equal(u.searchParams.get('first_name'), 'Jürgen');
		assert.equal(u.searchParams.get('city'), 'Köln');
	});

	it('email from json.email when there is no contact object; custom email parameter name', async () => {
		await runOutbound({
			items: [{ email: 'plain@example.de', name: 'X' }],
			parameters: { outboundName: 'Plain', url: `${rx.url}/p`, emailParameterName: 'EmailAddress', options: { allowPrivateTargets: true } },
		});
		assert.deepEqual(JSON.parse(rx.requests[0].body), { EmailAddress: 'plain@example.de' });
	});
});

describe('outbound delivery: authentication on the wire', () => {
	const key = `key_${randomBytes(12).toString('hex')}`;

	for (const [where, check] of [
		['body', (r: Receiver) => assert.equal(JSON.parse(r.requests[0].body).access_key, key)],
		['query', (r: Receiver) => assert.equal(new URL(r.requests[0].url, 'http://x').searchParams.get('access_key'), key)],
		['header', (r: Receiver) => assert.equal(r.requests[0].headers['access_key'], key)],
	] as const) {
		it(`API key in the ${where}; never in the output`, async () => {
			const res = await runOutbound({
				items: [contact('5')],
				parameters: { ...baseParams(), authentication: 'apiKey', url: `${rx.url}/k` },
				credential: { apiKey: key, keyName: 'access_key', keyLocation: where },
			});
			check(rx);
			assert.equal(res.main[0].json.status, 'delivered');
			assert.ok(!JSON.stringify(res.main).includes(key), 'the key is never in the output');
			const request = res.main[0].json.request as Record<string, unknown>;
			assert.ok(!JSON.stringify(request).includes('***'), 'the record keeps the request before authentication: nothing to mask');
			assert.equal(request.authentication, 'apiKey', 'the record says which authentication to apply again');
		});
	}

	it('API key as a static value goes into the GET query', async () => {
		await runOutbound({
			items: [contact('6')],
			parameters: { ...baseParams(), method: 'GET', authentication: 'apiKey', url: `${rx.url}/g` },
			credential: { apiKey: key, keyName: 'apiKey', keyLocation: 'body' },
		});
		assert.equal(new URL(rx.requests[0].url, 'http://x').searchParams.get('apiKey'), key);
	});

	it('Basic Auth', async () => {
		const res = await runOutbound({
			items: [contact('7')],
			parameters: { ...baseParams(), authentication: 'basicAuth' },
			credential: { username: 'klicktipp', password: 'Pässwört-geheim' },
		});
		assert.equal(rx.requests[0].headers.authorization, `Basic ${Buffer.from('klicktipp:Pässwört-geheim').toString('base64')}`);
		assert.ok(!JSON.stringify(res.main).includes('Pässwört-geheim'));
	});

	it('signature over the exact bytes sent, verified by the standardwebhooks package, JSON and form', async () => {
		const secret = `whsec_${randomBytes(32).toString('base64')}`;
		for (const format of ['json', 'form']) {
			rx.requests.length = 0;
			const res = await runOutbound({
				items: [contact('8'), contact('9')],
				parameters: { ...baseParams(), format, authentication: 'signature' },
				credential: { signingSecret: secret },
			});
			assert.equal(rx.requests.length, 2);
			const wh = new Webhook(secret);
			for (const got of rx.requests) {
				const headers = {
					'webhook-id': String(got.headers['webhook-id']),
					'webhook-timestamp': String(got.headers['webhook-timestamp']),
					'webhook-signature': String(got.headers['webhook-signature']),
				};
				if (format === 'json') assert.deepEqual(wh.verify(got.rawBody.toString('utf8'), headers), JSON.parse(got.body));
				else assert.equal(headers['webhook-signature'], wh.sign(headers['webhook-id'], new Date(Number(headers['webhook-timestamp']) * 1000), got.body));
			}
			assert.notEqual(rx.requests[0].headers['webhook-id'], rx.requests[1].headers['webhook-id']);
			assert.ok(!JSON.stringify(res.main).includes(secret.slice(6)));
		}
	});

	it('extra headers from the options', async () => {
		await runOutbound({
			items: [contact('10')],
			parameters: { ...baseParams(), options: { allowPrivateTargets: true, headers: { header: [{ name: 'X-Tenant', value: 'acme' }] } } },
		});
		assert.equal(rx.requests[0].headers['x-tenant'], 'acme');
	});
});

describe('outbound delivery: failures are never lost', () => {
	// Contact 2 always gets a 500, the others a 200; one attempt each so the test is quick.
	const failing = () => rx.setScript((req) => (req.url.startsWith('/crm/2?') ? { status: 500, body: 'crm down' } : undefined));
	const params = () => ({ ...baseParams(), options: { allowPrivateTargets: true, maxAttempts: 1 } });
	const items = () => [contact('1'), contact('2'), contact('3')];

	it('On Error "Stop": the node fails with a NodeApiError naming the outbound, the status and the response', async () => {
		failing();
		const res = await runOutbound({ items: items(), parameters: params() });
		assert.ok(res.error, 'the node failed');
		assert.equal(res.error.name, 'NodeApiError');
		assert.match(res.error.message, /^Outbound "CRM" failed with HTTP 500: HTTP 500: crm down/);
		assert.match(String(res.error.description), /1 of 3 item\(s\) failed; 2 delivered/);
		assert.equal(rx.requests.length, 3, 'the others were still delivered');
	});

	it('On Error "Continue": the failed item stays on the main output, in order, with status failed', async () => {
		failing();
		const res = await runOutbound({ items: items(), parameters: params(), onError: 'continueRegularOutput' });
		assert.equal(res.error, undefined);
		assert.deepEqual(res.main.map((i) => i.json.status), ['delivered', 'failed', 'delivered']);
		assert.deepEqual(res.main.map((i) => (i.pairedItem as { item: number }).item), [0, 1, 2]);
		const failed = res.main[1].json;
		assert.equal(failed.httpStatus, 500);
		assert.equal(failed.attempts, 1);
		assert.equal((failed.request as { url: string }).url, `${rx.url}/crm/2?source=kt`);
	});

	it('On Error "Continue (using error output)": the failed delivery and its contact leave by the error output', async () => {
		failing();
		const res = await runOutbound({ items: items(), parameters: params(), onError: 'continueErrorOutput' });
		assert.equal(res.error, undefined);
		assert.deepEqual(res.main.map((i) => (i.pairedItem as { item: number }).item), [0, 2]);
		assert.equal(res.errorOutput.length, 1);
		const item = res.errorOutput[0];
		assert.deepEqual(item.pairedItem, { item: 1 });
		assert.equal((item.json.contact as { id: string }).id, '2', 'n8n merged the input item in: the contact to replay');
		const error = item.json.error as Record<string, any>;
		assert.equal(error.message, 'Outbound "CRM" failed with HTTP 500: HTTP 500: crm down');
		assert.deepEqual(
			{ status: error.status, httpStatus: error.httpStatus, attempts: error.attempts, outbound: error.outbound },
			{ status: 'failed', httpStatus: 500, attempts: 1, outbound: { name: 'CRM', label: 'crm' } },
		);
		assert.equal(JSON.parse(error.request.body).SubscriberID, '2', 'the exact request, to replay it');
	});

	it('a failed test request (Send Test) leaves by the error output with the request it sent', async () => {
		rx.setScript(() => ({ status: 500, body: 'no' }));
		const res = await runOutbound({ items: [contact('1')], parameters: { ...params(), operation: 'sendTest' }, onError: 'continueErrorOutput' });
		assert.equal(res.main.length, 0);
		const error = res.errorOutput[0].json.error as Record<string, any>;
		assert.equal(error.status, 'failed');
		assert.equal(error.httpStatus, 500);
		assert.equal(JSON.parse(error.request.body).SubscriberID, '12345');
		assert.equal(rx.requests[0].url, '/crm/12345?source=kt');
	});

	it('a failed deletion request keeps its audit record on the error output', async () => {
		rx.setScript(() => ({ status: 503, body: 'later' }));
		const res = await runOutbound({
			items: [contact('9', { event: 'deletionRequest' })],
			parameters: { ...params(), events: ['deletionRequest'] },
			onError: 'continueErrorOutput',
		});
		const error = res.errorOutput[0].json.error as Record<string, any>;
		assert.equal(error.audit.contactId, '9');
		assert.equal(error.audit.email, 'kunde9@example.de');
		assert.equal(error.audit.status, 'failed');
		assert.equal(error.audit.outbound, 'CRM');
	});
});

describe('outbound delivery: Redeliver sends a stored failure again', () => {
	const secret = `whsec_${randomBytes(32).toString('base64')}`;
	const params = () => ({ ...baseParams(), authentication: 'signature', options: { allowPrivateTargets: true, maxAttempts: 1 } });
	const redeliver = (options: Record<string, unknown> = {}) => ({
		operation: 'redeliver',
		authentication: 'signature',
		options: { allowPrivateTargets: true, schedule: '1s, 1m', ...options },
	});

	/** Send with a receiver that answers 503; the error output's item as a database row keeps it (JSON text). */
	async function storedFailure(): Promise<{ row: IDataObject; first: (typeof rx.requests)[number] }> {
		rx.setScript(() => ({ status: 503, body: 'down' }));
		const res = await runOutbound({ items: [contact('7')], parameters: params(), credential: { signingSecret: secret }, onError: 'continueErrorOutput' });
		assert.equal(res.errorOutput.length, 1);
		const first = rx.requests[0];
		rx.requests.length = 0;
		const error = res.errorOutput[0].json.error as Record<string, unknown>;
		assert.ok(!JSON.stringify(error).includes(secret.slice(6)), 'no secret in the stored record');
		const { message: _message, ...record } = error;
		return { row: { id: 1, record: JSON.stringify(record) }, first };
	}

	it('same request, same webhook-id, a fresh valid signature; delivered with the attempts added up', async () => {
		const { row, first } = await storedFailure();
		rx.setScript(() => undefined);
		await new Promise((r) => setTimeout(r, 1100)); // the first wait of the schedule: 1 s after the failure
		const res = await runOutbound({ items: [row], parameters: redeliver(), credential: { signingSecret: secret }, onError: 'continueErrorOutput' });
		assert.equal(res.error, undefined);
		assert.equal(rx.requests.length, 1);
		const again = rx.requests[0];
		assert.equal(again.url, first.url);
		assert.equal(again.rawBody.toString('utf8'), first.rawBody.toString('utf8'));
		assert.equal(again.headers['webhook-id'], first.headers['webhook-id']);
		assert.doesNotThrow(() => new Webhook(secret).verify(again.rawBody.toString('utf8'), again.headers as Record<string, string>));
		const record = res.main[0].json;
		assert.deepEqual(
			{ status: record.status, attempts: record.attempts, redeliveries: record.redeliveries, nextAttemptAt: record.nextAttemptAt },
			{ status: 'delivered', attempts: 2, redeliveries: 1, nextAttemptAt: undefined },
		);
		assert.deepEqual(res.main[0].pairedItem, { item: 0 });
	});

	it('not due yet: output unchanged, nothing sent; still down: failed with the next attempt', async () => {
		const { row } = await storedFailure();
		const early = await runOutbound({ items: [row], parameters: redeliver({ schedule: '1h' }), credential: { signingSecret: secret } });
		assert.equal(rx.requests.length, 0);
		assert.equal(early.main[0].json.status, 'failed');
		assert.equal(early.main[0].json.redeliveries, undefined);
		const started = Date.now();
		const res = await runOutbound({ items: [row], parameters: redeliver({ schedule: '0s, 1m' }), credential: { signingSecret: secret } });
		assert.equal(rx.requests.length, 1);
		const record = res.main[0].json;
		assert.equal(record.status, 'failed');
		assert.equal(record.redeliveries, 1);
		const next = Date.parse(String(record.nextAttemptAt)) - started;
		assert.ok(next >= 60_000 && next < 65_000, `next attempt in about 1 min (${next} ms)`);
	});

	it('410 Gone: dead, on the error output with the row it came from', async () => {
		const { row } = await storedFailure();
		rx.setScript(() => ({ status: 410, body: 'gone' }));
		const res = await runOutbound({ items: [row], parameters: redeliver({ schedule: '0s' }), credential: { signingSecret: secret }, onError: 'continueErrorOutput' });
		assert.equal(res.main.length, 0);
		const item = res.errorOutput[0].json;
		assert.equal(item.id, 1, 'n8n merged the row in: its id, to update it');
		assert.equal((item.error as Record<string, unknown>).status, 'dead');
		assert.match(String((item.error as Record<string, unknown>).message), /^Outbound "CRM" is dead with HTTP 410/);
	});

	it('dead without an error output: the node fails, naming it', async () => {
		const res = await runOutbound({ items: [{ contact: { id: '1' } }], parameters: redeliver(), credential: { signingSecret: secret } });
		assert.equal(res.error?.name, 'NodeApiError');
		assert.match(String(res.error?.message), /is dead: The item is not a delivery record/);
	});

	it('another authentication than the record\'s: a NodeOperationError naming the parameter, nothing sent', async () => {
		const { row } = await storedFailure();
		const res = await runOutbound({ items: [row], parameters: { ...redeliver({ schedule: '0s' }), authentication: 'none' } });
		assert.equal(res.error?.name, 'NodeOperationError');
		assert.match(String(res.error?.message), /Parameter "Authentication" \(authentication\) is "none", but the record of item 1/);
		assert.equal(rx.requests.length, 0);
	});
});
