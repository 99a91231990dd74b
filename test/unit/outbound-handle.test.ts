import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';

import type { OutboundConfig } from '../../nodes/core/outbound/build';
import type { DeliveryResult } from '../../nodes/core/outbound/deliver';
import { SetupError } from '../../nodes/core/outbound/errors';
import type { OncePerContact, Plan } from '../../nodes/core/outbound/handle';
import {
	deliveryOptions,
	finishRun,
	ONCE_PER_CONTACT_KEY,
	oncePerContact,
	planItems,
	planTest,
	previewReason,
	previewRun,
	skipReason,
} from '../../nodes/core/outbound/handle';
import type { OutboundSetup } from '../../nodes/core/outbound/setup';
import { DEFAULTS, itemConfig, parseOptions } from '../../nodes/core/outbound/setup';
import { verifySignature } from '../../nodes/core/signature';

const H = 3_600_000;
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

function setupOf(over: Partial<OutboundSetup> = {}, options: Record<string, unknown> = {}): OutboundSetup {
	return {
		name: 'CRM',
		label: 'crm',
		active: true,
		events: ['contactData', 'deletionRequest'],
		authentication: 'none',
		options: parseOptions(options),
		credential: undefined,
		secrets: [],
		method: 'POST',
		format: 'json',
		...over,
	};
}

function configOf(setup: OutboundSetup, over: Partial<OutboundConfig> = {}): OutboundConfig {
	return {
		name: setup.name,
		label: setup.label,
		url: 'https://crm.example.com/hook',
		method: setup.method,
		format: setup.format,
		authentication: setup.authentication,
		headers: { 'user-agent': DEFAULTS.userAgent },
		mapping: { sendEmail: true, emailParameterName: 'email', fields: [], staticValues: [] },
		...over,
	};
}

const contact = (id: string, email = `${id}@example.de`, extra: Record<string, unknown> = {}) => ({
	event: 'contactData',
	contact: { id, email },
	...extra,
});

function windowOf(hours: number, state = {}): OncePerContact {
	return { state, windowMs: hours * H, hours, nowMs: NOW };
}

const kinds = (plans: Plan[]) => plans.map((p) => p.kind);

describe('outbound handle: planItems decides skip / fail / send', () => {
	it('sends an item with an email address', () => {
		const setup = setupOf();
		const [plan] = planItems(setup, [contact('1')], () => configOf(setup), undefined);
		assert.equal(plan.kind, 'send');
		assert.equal(JSON.parse(plan.built!.request.body!).email, '1@example.de');
	});

	it('skips everything when the outbound is inactive, and events it is not subscribed to', () => {
		assert.equal(skipReason(setupOf({ active: false }), contact('1')), 'The outbound is inactive');
		const onlyContacts = setupOf({ events: ['contactData'] });
		assert.equal(skipReason(onlyContacts, { event: 'delete', email: 'a@b.de' }), 'The outbound is not subscribed to deletionRequest events');
		assert.equal(skipReason(onlyContacts, contact('1')), null);
		const plans = planItems(setupOf({ active: false }), [contact('1')], () => assert.fail('an inactive outbound builds nothing'), undefined);
		assert.deepEqual(plans, [{ kind: 'skip', reason: 'The outbound is inactive' }]);
	});

	it('fails an item without an email address when the email is sent; sends it when not', () => {
		const setup = setupOf();
		const [failed] = planItems(setup, [{ contact: { id: '7' } }], () => configOf(setup), undefined);
		assert.equal(failed.kind, 'fail');
		assert.match((failed as { reason: string }).reason, /no email address/);
		const noEmail = configOf(setup, { mapping: { sendEmail: false, emailParameterName: 'email', fields: [], staticValues: [] } });
		assert.equal(planItems(setup, [{ contact: { id: '7' } }], () => noEmail, undefined)[0].kind, 'send');
	});

	it('once per contact: a contact delivered within the window is skipped, with the time left', () => {
		const setup = setupOf({}, { oncePerContactHours: 6 });
		const once = windowOf(6, { lastDelivered: { 'id:1': NOW - H } });
		const plans = planItems(setup, [contact('1'), contact('2')], () => configOf(setup), once);
		assert.deepEqual(kinds(plans), ['skip', 'send']);
		assert.equal((plans[0] as { reason: string }).reason, 'Once per contact: already delivered to this contact within 6 h (next possible in 5h 0m)');
	});

	it('once per contact: a second item of the same contact in one execution is skipped (the in-run claim)', () => {
		const setup = setupOf({}, { oncePerContactHours: 6 });
		const items = [contact('1'), contact('2'), contact('1', 'other@example.de'), { event: 'contactData', email: '2@EXAMPLE.de' }, { email: 'x@example.de' }, { email: 'X@example.de' }];
		const plans = planItems(setup, items, () => configOf(setup), windowOf(6));
		// contact 1 by ID twice; "2@EXAMPLE.de" has no ID, so its key is its email, not contact 2's ID; x@ by email twice
		assert.deepEqual(kinds(plans), ['send', 'send', 'skip', 'send', 'send', 'skip']);
		assert.equal((plans[2] as { reason: string }).reason, 'Once per contact: an earlier item of this execution delivers to the same contact');
	});

	it('once per contact off: the same contact twice is sent twice', () => {
		const setup = setupOf();
		assert.deepEqual(kinds(planItems(setup, [contact('1'), contact('1')], () => configOf(setup), undefined)), ['send', 'send']);
	});

	it('a parameter error stops the plan as a SetupError naming the parameter and the item, secrets masked', () => {
		const setup = setupOf({ secrets: ['s3cr3t-value'] });
		const items = [contact('1'), contact('2')];
		const config = (i: number) => configOf(setup, { url: i === 1 ? 'https://x/__unknown__/s3cr3t-value' : 'https://x/ok' });
		assert.throws(
			() => planItems(setup, items, config, undefined),
			(error: unknown) => {
				assert.ok(error instanceof SetupError);
				assert.equal(error.details.itemIndex, 1);
				assert.match(error.message, /^Parameter "url": Unknown placeholder/);
				assert.ok(!error.message.includes('s3cr3t-value'));
				return true;
			},
		);
	});
});

describe('outbound handle: the once-per-contact state', () => {
	it('off (0 h): no state, static data not even asked for', () => {
		assert.equal(oncePerContact(setupOf(), () => assert.fail('static data asked for'), NOW, true), undefined);
	});
	it('send creates the state and drops expired entries; preview only reads', () => {
		const setup = setupOf({}, { oncePerContactHours: 6 });
		const staticData: Record<string, unknown> = {};
		const read = oncePerContact(setup, () => staticData, NOW, false)!;
		assert.deepEqual(staticData, {}, 'preview writes nothing');
		assert.deepEqual(read.state, {});
		staticData[ONCE_PER_CONTACT_KEY] = { lastDelivered: { 'id:old': NOW - 7 * H, 'id:new': NOW - H } };
		oncePerContact(setup, () => staticData, NOW, false);
		assert.equal(Object.keys((staticData[ONCE_PER_CONTACT_KEY] as { lastDelivered: object }).lastDelivered).length, 2);
		const write = oncePerContact(setup, () => staticData, NOW, true)!;
		assert.deepEqual(write.state, { lastDelivered: { 'id:new': NOW - H } });
		assert.equal(write.state, staticData[ONCE_PER_CONTACT_KEY]);
		assert.equal(write.windowMs, 6 * H);
	});
});

const delivered = (over: Partial<DeliveryResult> = {}): DeliveryResult => ({ status: 'delivered', httpStatus: 200, attempts: 1, durationMs: 12, finalUrl: 'https://crm.example.com/hook', responseBody: { ok: true }, ...over });

describe('outbound handle: finishRun shapes the records', () => {
	it('delivered, failed before sending, skipped and failed delivery, in input order; remembers deliveries', () => {
		const setup = setupOf({}, { oncePerContactHours: 6 });
		const once = windowOf(6);
		const items = [contact('1'), { contact: { id: '9' } }, contact('1'), contact('3')];
		const plans = planItems(setup, items, () => configOf(setup), once);
		assert.deepEqual(kinds(plans), ['send', 'fail', 'skip', 'send']);
		const results = [delivered(), null, null, delivered({ status: 'failed', httpStatus: 500, reason: 'HTTP 500', attempts: 5 })];
		const run = finishRun(setup, items, plans, results, once, { now: () => NOW });
		assert.deepEqual(run.records.map((r) => r.status), ['delivered', 'failed', 'skipped', 'failed']);
		assert.deepEqual(run.failed, [1, 3]);
		assert.deepEqual(run.records[0], {
			outbound: { name: 'CRM', label: 'crm' },
			status: 'delivered',
			httpStatus: 200,
			attempts: 1,
			durationMs: 12,
			request: {
				method: 'POST',
				url: 'https://crm.example.com/hook',
				body: '{"email":"1@example.de"}',
				headers: { 'user-agent': DEFAULTS.userAgent, 'content-type': 'application/json; charset=utf-8' },
				webhookId: (plans[0] as Extract<Plan, { kind: 'send' }>).built.webhookId,
				authentication: 'none',
			},
		});
		assert.equal(run.records[3].firstAttemptAt, new Date(NOW - 12).toISOString(), 'a failed delivery says when its first attempt started');
		assert.equal((run.records[0] as Record<string, unknown>).firstAttemptAt, undefined, 'a delivered one does not need it');
		assert.equal(run.records[1].attempts, 0);
		assert.deepEqual(once.state, { lastDelivered: { 'id:1': NOW } }, 'only the delivered contact is remembered');
		assert.deepEqual(run.summary, {
			message: 'Outbound "CRM" failed: The item has no email address (json.contact.email or json.email); nothing was sent',
			description: '2 of 4 item(s) failed; 1 delivered. Set "On Error" to "Continue (using error output)" to route failed items to their own output instead, e.g. to a dead-letter Data Table.',
			itemIndex: 1,
			httpStatus: undefined,
			reason: 'The item has no email address (json.contact.email or json.email); nothing was sent',
			outbound: 'CRM',
		});
	});

	it('the response body only with "Log Response Body"; secrets masked everywhere', () => {
		const setup = setupOf({ secrets: ['tok-123456'] }, { logResponseBody: true });
		const items = [contact('1')];
		const plans = planItems(setup, items, () => configOf(setup, { url: 'https://x/h?t=tok-123456' }), undefined);
		const run = finishRun(setup, items, plans, [delivered({ responseBody: 'echo tok-123456' })], undefined);
		assert.deepEqual(run.records[0].response, { body: 'echo ***' });
		assert.equal((run.records[0].request as { url: string }).url, 'https://x/h?t=***');
		assert.equal(run.summary, undefined);
	});

	it('a deletion request gets its audit record with the final status', () => {
		const setup = setupOf();
		const items = [{ event: 'delete', eventId: 'evt_1', receivedAt: new Date(NOW - 1000).toISOString(), contact: { id: '5', email: 'Del@Example.de' } }];
		const plans = planItems(setup, items, () => configOf(setup), undefined);
		const run = finishRun(setup, items, plans, [delivered()], undefined, { now: () => NOW });
		const result = delivered();
		assert.deepEqual(run.records[0].audit, {
			eventId: 'evt_1',
			receivedAt: new Date(NOW - 1000).toISOString(),
			contactId: '5',
			email: 'del@example.de',
			outbound: 'CRM',
			status: 'delivered',
			httpStatus: result.httpStatus,
			attempts: result.attempts,
			at: new Date(NOW).toISOString(),
		});
	});

	it('the test request names contact 12345 when it fails', () => {
		const setup = setupOf({ active: false, events: ['deletionRequest'] });
		const { json, plan } = planTest(setup, configOf(setup));
		assert.equal(plan.kind, 'send', 'sent even when inactive and not subscribed to contact data');
		assert.equal(JSON.parse(plan.built.request.body!).SubscriberID, '12345');
		const run = finishRun(setup, [json], [plan], [delivered({ status: 'failed', httpStatus: 404, reason: 'HTTP 404' })], undefined, { test: true });
		assert.equal(run.summary?.description, 'The test request for contact 12345 failed.');
		assert.equal(run.summary?.message, 'Outbound "CRM" failed with HTTP 404: HTTP 404');
	});
});

describe('outbound handle: preview says what send does (same plan)', () => {
	it('for every kind of item, the preview reason is the send plan', () => {
		const setup = setupOf({ events: ['contactData'] }, { oncePerContactHours: 6 });
		const items = [contact('1'), contact('1'), { contact: { id: '9' } }, { event: 'delete', email: 'd@example.de' }, contact('2')];
		const state = { lastDelivered: { 'id:2': NOW - H } };
		const plans = planItems(setup, items, () => configOf(setup), windowOf(6, state));
		const preview = previewRun(setup, items, () => configOf(setup), windowOf(6, state), NOW);
		assert.deepEqual(
			preview.map((r) => r.reason),
			plans.map((p) => `Preview, nothing sent. ${previewReason(p)}`),
		);
		assert.deepEqual(
			preview.map((r) => r.reason),
			[
				'Preview, nothing sent. Send would deliver this request.',
				'Preview, nothing sent. Send would skip it: Once per contact: an earlier item of this execution delivers to the same contact',
				'Preview, nothing sent. Send would fail it: The item has no email address (json.contact.email or json.email); nothing was sent',
				'Preview, nothing sent. Send would skip it: The outbound is not subscribed to deletionRequest events',
				'Preview, nothing sent. Send would skip it: Once per contact: already delivered to this contact within 6 h (next possible in 5h 0m)',
			],
		);
		assert.ok(preview.every((r) => r.status === 'skipped' && r.attempts === 0));
		assert.deepEqual(state, { lastDelivered: { 'id:2': NOW - H } }, 'preview changes no state');
	});

	it('shows the exact request with its headers, signed like send signs it, secrets masked', () => {
		const secret = 'whsec_' + Buffer.from('0123456789abcdef0123').toString('base64');
		const setup = setupOf({ authentication: 'signature', credential: { signingSecret: secret }, secrets: [secret] });
		const [record] = previewRun(setup, [contact('1')], () => configOf(setup), undefined, NOW);
		const request = record.request as { method: string; url: string; body: string; headers: Record<string, string> };
		assert.equal(request.body, '{"email":"1@example.de"}');
		assert.equal(request.headers['user-agent'], DEFAULTS.userAgent);
		assert.ok(verifySignature(secret, request.headers, request.body, NOW / 1000).ok, 'the preview signature verifies');
		assert.ok(!JSON.stringify(record).includes(secret));
	});

	it('masks secrets typed into Headers and Static Values (preview, send record, errors), Bearer credential too', () => {
		const setup = setupOf({ authentication: 'bearerToken', credential: { bearerToken: 'cred-bearer-0123' }, secrets: ['cred-bearer-0123'] });
		const config = configOf(setup, {
			headers: { 'user-agent': DEFAULTS.userAgent, 'x-api-key': 'hdr-key-0123', 'x-tenant': 'köln' },
			mapping: { sendEmail: true, emailParameterName: 'email', fields: [], staticValues: [{ name: 'token', value: 'sv-token-0123' }, { name: 'pin', value: 'sv-pin-0123', secret: true }, { name: 'list', value: 'news' }] },
		});
		const [preview] = previewRun(setup, [contact('1')], () => config, undefined, NOW);
		const request = preview.request as { body: string; headers: Record<string, string>; masked: unknown };
		assert.deepEqual(request.headers, { 'user-agent': DEFAULTS.userAgent, 'x-api-key': '***', 'x-tenant': 'köln', 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer ***' });
		assert.equal(request.body, '{"email":"1@example.de","token":"***","pin":"***","list":"news"}');
		assert.deepEqual(request.masked, { headers: ['x-api-key'], parameters: ['token', 'pin'] });
		const plans = planItems(setup, [contact('1')], () => config, undefined);
		const run = finishRun(setup, [contact('1')], plans, [delivered({ status: 'failed', httpStatus: 401, reason: 'HTTP 401', responseBody: 'bad key hdr-key-0123' })], undefined, { now: () => NOW });
		const text = JSON.stringify(run);
		for (const secret of ['cred-bearer-0123', 'hdr-key-0123', 'sv-token-0123', 'sv-pin-0123']) assert.ok(!text.includes(secret), secret);
		assert.match(text, /news/);
		// an error about the parameters masks them too
		const bad = { ...config, url: 'https://crm.example.com/__nope__' };
		assert.throws(() => planItems(setup, [contact('1')], () => bad, undefined), (e: unknown) => e instanceof Error && /Unknown placeholder/.test(e.message) && !/sv-token-0123|sv-pin-0123/.test(e.message));
	});
});

describe('outbound handle: the stable id on every request', () => {
	const params = { url: 'https://crm.example.com/hook', sendEmail: true, emailParameterName: 'email', fields: {}, staticValues: {}, headers: undefined };
	it('preview shows the idempotency header, send and the record keep it, whatever the authentication', () => {
		const secret = 'whsec_' + Buffer.from('0123456789abcdef0123').toString('base64');
		const cases: Array<[Partial<OutboundSetup>, Record<string, unknown>]> = [
			[{}, {}],
			[{ authentication: 'apiKey', credential: { apiKey: 'k-1234567890abcdef', keyName: 'X-Key', keyLocation: 'header' }, secrets: ['k-1234567890abcdef'] }, { idempotencyHeader: 'Idempotency-Key' }],
			[{ authentication: 'basicAuth', credential: { username: 'u', password: 'p-1234567890' }, secrets: ['p-1234567890'] }, { idempotencyHeader: 'X-Request-Id' }],
			[{ authentication: 'signature', credential: { signingSecret: secret }, secrets: [secret] }, { idempotencyHeader: 'Idempotency-Key' }],
		];
		for (const [over, options] of cases) {
			const setup = setupOf(over, options);
			const header = setup.options.idempotencyHeader;
			const [preview] = previewRun(setup, [contact('1', undefined, { eventId: 'evt_1' })], (i) => itemConfig(setup, params, i), undefined, NOW);
			const request = preview.request as { headers: Record<string, string>; webhookId: string };
			assert.match(request.webhookId, /^msg_/);
			assert.equal(request.headers[header], request.webhookId, `${setup.authentication}: preview shows ${header}`);
			if (setup.authentication === 'signature') assert.equal(request.headers['webhook-id'], request.webhookId, 'Standard Webhooks webhook-id stays');
			const [plan] = planItems(setup, [contact('1', undefined, { eventId: 'evt_1' })], (i) => itemConfig(setup, params, i), undefined);
			assert.equal(plan.built!.request.headers[header], request.webhookId, 'send sends the same id');
			assert.equal(plan.built!.replay.headers[header], request.webhookId, 'the record (for Redeliver) keeps it');
		}
	});
});

describe('outbound handle: deliveryOptions', () => {
	it('takes retries, timeout and redirects from the options; signs only with a signature credential', () => {
		const setup = setupOf({}, { maxAttempts: 3, retryDelay: 100, maxRetryAfterSeconds: 2, timeout: 999 });
		const [plan] = planItems(setup, [contact('1')], () => configOf(setup), undefined);
		const options = deliveryOptions(setup, plan.built!);
		assert.equal(options.policy.maxAttempts, 3);
		assert.equal(options.policy.baseDelayMs, 100);
		assert.equal(options.policy.maxRetryAfterMs, 2000);
		assert.equal(options.timeoutMs, 999);
		assert.equal(options.maxRedirects, DEFAULTS.maxRedirects);
		assert.equal(options.sign, undefined);
		assert.equal(deliveryOptions(setupOf({}, { followRedirects: false }), plan.built!).maxRedirects, 0);
		const secret = 'a-plain-signing-secret';
		const signing = setupOf({ authentication: 'signature', credential: { signingSecret: secret } });
		const signed = deliveryOptions(signing, plan.built!, () => NOW).sign!({ method: 'POST', body: '{}', headers: {} });
		assert.ok(verifySignature(secret, signed, '{}', NOW / 1000).ok);
		assert.equal(signed['webhook-id'], plan.built!.webhookId);
	});
	it('what send signs, the standardwebhooks library verifies (whsec_ by default, a plain secret as format raw)', () => {
		const whsec = 'whsec_' + Buffer.from('0123456789abcdef0123').toString('base64');
		for (const [signingSecret, wh] of [
			[whsec, new Webhook(whsec)],
			['a plain secret, no prefix', new Webhook('a plain secret, no prefix', { format: 'raw' })],
		] as const) {
			const setup = setupOf({ authentication: 'signature', credential: { signingSecret } });
			const [plan] = planItems(setup, [contact('1')], () => configOf(setup), undefined);
			const body = plan.built!.request.body!;
			const signed = deliveryOptions(setup, plan.built!).sign!({ method: 'POST', body, headers: plan.built!.request.headers });
			assert.deepEqual(wh.verify(body, signed), { email: '1@example.de' });
		}
	});
});

describe('outbound handle: the cost of a run grows with its items, not faster', () => {
	it('plans and records weigh the same per item for 10 and for 5,000 items (no per-item copy of the run)', () => {
		const setup = setupOf({}, { oncePerContactHours: 6 });
		const perItem = (n: number) => {
			const items = Array.from({ length: n }, (_, i) => contact(String(100_000 + i)));
			const plans = planItems(setup, items, () => configOf(setup), windowOf(6));
			const results = plans.map(() => delivered());
			const run = finishRun(setup, items, plans, results, windowOf(6), { now: () => NOW });
			return { plans: JSON.stringify(plans).length / n, records: JSON.stringify(run.records).length / n };
		};
		const [small, large] = [perItem(10), perItem(5000)];
		assert.ok(large.plans <= small.plans * 1.05, `plans: ${small.plans} vs ${large.plans} characters per item`);
		assert.ok(large.records <= small.records * 1.05, `records: ${small.records} vs ${large.records} characters per item`);
	});
});
