/**
 * Redeliver: the schedule, finding and reading a stored record, each item's step, the record after a redelivery, and
 * the round trip Send record → JSON text → Redeliver giving back the very request Send sent, for every
 * authentication and encoding.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import type { KlickTippCredential } from '../../nodes/core/credential';
import type { AuthenticationMode } from '../../nodes/core/credential';
import type { OutboundConfig } from '../../nodes/core/outbound/build';
import { buildRequest } from '../../nodes/core/outbound/build';
import type { DeliveryResult } from '../../nodes/core/outbound/deliver';
import { SetupError } from '../../nodes/core/outbound/errors';
import type { RedeliveryPlan } from '../../nodes/core/outbound/handle';
import { deliveryOptions, finishRedeliveries, finishRun, planItems, planRedeliveries } from '../../nodes/core/outbound/handle';
import type { OutboundOutput } from '../../nodes/core/outbound/output';
import { dueAt, findRecord, redeliveredRecord, redeliveryStep, replayOf } from '../../nodes/core/outbound/redeliver';
import type { RedeliveryRules } from '../../nodes/core/outbound/schedule';
import { DEFAULT_SCHEDULE, parseSchedule } from '../../nodes/core/outbound/schedule';
import type { OutboundMethod } from '../../nodes/core/outbound/encoding';
import { hasBody } from '../../nodes/core/outbound/encoding';
import type { OutboundSetup, RedeliverySetup } from '../../nodes/core/outbound/setup';
import { DEFAULTS, parseOptions, parseRedeliverySetup } from '../../nodes/core/outbound/setup';
import { verifySignature } from '../../nodes/core/signature';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const RULES: RedeliveryRules = { schedule: [5 * S, 5 * M, 30 * M], maxAgeMs: 0 };

const request = (over: Record<string, unknown> = {}) => ({
	method: 'POST',
	url: 'https://crm.example.com/hook',
	body: '{"email":"a@example.de"}',
	headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'n8n-nodes-klicktipp-outbound' },
	webhookId: 'msg_abc',
	authentication: 'none',
	...over,
});

const failedRecord = (over: Record<string, unknown> = {}) => ({
	outbound: { name: 'CRM', label: 'crm' },
	status: 'failed',
	reason: 'HTTP 503',
	httpStatus: 503,
	attempts: 5,
	durationMs: 2000,
	firstAttemptAt: new Date(NOW - 10 * M).toISOString(),
	request: request(),
	...over,
});

const result = (over: Partial<DeliveryResult> = {}): DeliveryResult => ({
	status: 'failed',
	reason: 'HTTP 503',
	httpStatus: 503,
	attempts: 1,
	durationMs: 40,
	finalUrl: 'https://crm.example.com/hook',
	...over,
});

describe('redeliver: the schedule', () => {
	it('the default is Standard-Webhooks-like, 9 waits from 5 s to 24 h', () => {
		assert.deepEqual(parseSchedule(DEFAULT_SCHEDULE), [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 24 * H]);
		assert.equal(DEFAULTS.schedule, DEFAULT_SCHEDULE);
	});
	it('units s, m, h, d, decimals, any separator', () => {
		assert.deepEqual(parseSchedule('1.5m;2d 30S'), [90 * S, 48 * H, 30 * S]);
	});
	it('an empty schedule or a step without unit is a problem, named', () => {
		assert.match(String(parseSchedule('')), /empty/);
		assert.match(String(parseSchedule('5s, 5')), /"5" is not a wait/);
		assert.match(String(parseSchedule('5x')), /"5x" is not a wait/);
		assert.match(String(parseSchedule('-5s')), /"-5s" is not a wait/);
	});
	it('the setup names the option', async () => {
		await assert.rejects(parseRedeliverySetup({ authentication: 'none', options: { schedule: 'soon' } }, async () => ({})), (e: unknown) => {
			assert.ok(e instanceof SetupError);
			assert.match(e.message, /^Option "Schedule" \(options\.schedule\): "soon" is not a wait/);
			return true;
		});
	});
	it('the setup: one attempt per run, once per contact off, Max Age in hours', async () => {
		const setup = await parseRedeliverySetup({ authentication: 'none', options: { maxAgeHours: 2, maxAttempts: 9, oncePerContactHours: 6 } }, async () => ({}));
		assert.equal(setup.options.maxAttempts, 1);
		assert.equal(setup.options.oncePerContactHours, 0);
		assert.equal(setup.rules.maxAgeMs, 2 * H);
		assert.equal(setup.rules.schedule.length, 9);
	});
	it('the credential must fit the authentication, as for Send', async () => {
		await assert.rejects(parseRedeliverySetup({ authentication: 'signature', options: {} }, async () => ({ signingSecret: '' })), /does not fit Authentication "signature"/);
		await assert.rejects(parseRedeliverySetup({ authentication: 'magic', options: {} }, async () => ({})), /Parameter "Authentication" \(authentication\) has an unknown value "magic"/);
	});
});

describe('redeliver: finding the record in an item', () => {
	it('the error output item: the record under error, the contact next to it', () => {
		const record = failedRecord();
		assert.deepEqual(findRecord({ error: { message: 'x', ...record }, contact: { id: '1' } })?.request, record.request);
	});
	it('a row with the record as JSON text (a Data Table column), and the record itself', () => {
		const record = failedRecord();
		assert.deepEqual(findRecord({ id: 7, record: JSON.stringify(record) })?.request, record.request);
		assert.deepEqual(findRecord(record as Record<string, unknown>)?.request, record.request);
	});
	it('an item without a request anywhere is no record', () => {
		assert.equal(findRecord({ error: { message: 'boom' }, contact: {} }), undefined);
		assert.equal(findRecord({ record: '{not json' }), undefined);
	});
});

describe('redeliver: reading the request back', () => {
	it('a complete request, headers lower-cased, signature/length/host headers dropped', () => {
		const read = replayOf(
			request({ headers: JSON.stringify({ 'Content-Type': 'application/json', 'X-Tenant': 7, 'webhook-signature': 'v1,old', 'Content-Length': '9', Host: 'evil' }) }),
		);
		assert.ok(read.ok);
		assert.deepEqual(read.request.headers, { 'content-type': 'application/json', 'x-tenant': '7' });
		assert.equal(read.request.webhookId, 'msg_abc');
	});
	it('the idempotency header is sent again: webhook-id always with the record\'s own ID, another name as stored', () => {
		const read = replayOf(request({ headers: { 'webhook-id': 'msg_other', 'Idempotency-Key': 'msg_abc', 'x-a': '1' } }));
		assert.ok(read.ok);
		assert.deepEqual(read.request.headers, { 'webhook-id': 'msg_abc', 'idempotency-key': 'msg_abc', 'x-a': '1' });
	});
	it('a JSON body n8n stored as an object is sent as JSON text', () => {
		const read = replayOf(request({ body: { email: 'a@example.de' } }));
		assert.ok(read.ok);
		assert.equal(read.request.body, '{"email":"a@example.de"}');
	});
	it('PUT and PATCH replay their body; DELETE, like GET, has none', () => {
		for (const method of ['put', 'PATCH']) {
			const read = replayOf(request({ method }));
			assert.ok(read.ok);
			assert.equal(read.request.method, method.toUpperCase());
			assert.equal(read.request.body, (request({}) as { body: string }).body);
		}
		const del = replayOf(request({ method: 'delete', body: 'ignored' }));
		assert.ok(del.ok);
		assert.equal(del.request.method, 'DELETE');
		assert.equal(del.request.body, null);
	});
	it('GET has no body', () => {
		const read = replayOf(request({ method: 'get', body: 'ignored' }));
		assert.ok(read.ok);
		assert.equal(read.request.method, 'GET');
		assert.equal(read.request.body, null);
	});
	for (const [what, over, reason] of [
		['no webhookId', { webhookId: '' }, /has no webhookId/],
		['a webhookId with a space', { webhookId: 'msg abc' }, /has no webhookId/],
		['an unknown authentication', { authentication: 'oauth' }, /unknown authentication "oauth"/],
		['a URL with a password', { url: 'https://u:p@crm.example.com/' }, /URL is not usable/],
		['a non-http URL', { url: 'file:///etc/passwd' }, /URL is not usable/],
		['a header that would split the request', { headers: { 'x-a': 'v\r\nx-b: 1' } }, /invalid header "x-a"/],
		['a method the node does not send', { method: 'HEAD' }, /method "HEAD" \(POST, GET, PUT, PATCH, DELETE expected\)/],
		['a PUT without body', { method: 'PUT', body: null }, /has no body/],
		['a POST without body', { body: null }, /has no body/],
	] as const) {
		it(`refused: ${what}`, () => {
			const read = replayOf(request(over as Record<string, unknown>));
			assert.equal(read.ok, false);
			assert.match((read as { reason: string }).reason, reason);
		});
	}
});

describe('redeliver: what happens to each item', () => {
	it('a record from Send is due the first wait after it failed (first attempt + duration + 5 s)', () => {
		const record = failedRecord({ firstAttemptAt: new Date(NOW - 6 * S).toISOString(), durationMs: 2 * S });
		const kept = redeliveryStep(record, RULES, NOW);
		assert.equal(kept.kind, 'keep', 'failed 4 s ago: not due');
		assert.equal(kept.record.nextAttemptAt, new Date(NOW + 1 * S).toISOString(), 'kept with the time it is due');
		assert.equal(redeliveryStep(record, RULES, NOW + 1 * S).kind, 'send', 'failed 5 s ago: due');
	});
	it('nextAttemptAt decides once it is set', () => {
		const record: Record<string, unknown> = failedRecord({ redeliveries: 1, nextAttemptAt: new Date(NOW + 1).toISOString() });
		const kept = redeliveryStep(record, RULES, NOW);
		assert.equal(kept.kind, 'keep');
		assert.equal(kept.record.nextAttemptAt, record.nextAttemptAt, 'output unchanged');
		assert.equal(redeliveryStep(record, RULES, NOW + 1).kind, 'send');
		assert.equal(dueAt(redeliveryStep(record, RULES, NOW).record, RULES, NOW), NOW + 1);
	});
	it('delivered, skipped and dead records are kept as they are, nothing sent', () => {
		for (const status of ['delivered', 'skipped', 'dead']) assert.equal(redeliveryStep(failedRecord({ status }), RULES, NOW).kind, 'keep', status);
	});
	it('a record that was never sent (e.g. no email address) is dead: sending it again cannot help', () => {
		const step = redeliveryStep(failedRecord({ attempts: 0, reason: 'The item has no email address' }), RULES, NOW);
		assert.equal(step.kind, 'dead');
		assert.match(String(step.record.reason), /^It was never sent \(The item has no email address\); fix the input/);
		assert.equal(step.record.status, 'dead');
	});
	it('an item that is no record, or whose request cannot be sent again, is dead with the reason', () => {
		const none = redeliveryStep({ contact: { id: '1' } }, RULES, NOW);
		assert.equal(none.kind, 'dead');
		assert.match(String(none.record.reason), /not a delivery record/);
		const broken = redeliveryStep(failedRecord({ request: request({ webhookId: '' }) }), RULES, NOW);
		assert.equal(broken.kind, 'dead');
		assert.match(String(broken.record.reason), /has no webhookId/);
	});
	it('Max Age: older than the limit is dead; 0 means no limit', () => {
		const old = failedRecord({ firstAttemptAt: new Date(NOW - 3 * H).toISOString() });
		assert.equal(redeliveryStep(old, { ...RULES, maxAgeMs: 2 * H }, NOW).kind, 'dead');
		assert.equal(redeliveryStep(old, { ...RULES, maxAgeMs: 4 * H }, NOW).kind, 'send');
		assert.equal(redeliveryStep(old, RULES, NOW).kind, 'send');
	});
	it('a record whose redeliveries used the schedule up is dead', () => {
		assert.equal(redeliveryStep(failedRecord({ redeliveries: 3, nextAttemptAt: new Date(NOW).toISOString() }), RULES, NOW).kind, 'dead');
		assert.equal(redeliveryStep(failedRecord({ redeliveries: 2, nextAttemptAt: new Date(NOW).toISOString() }), RULES, NOW).kind, 'send');
	});
	it('numbers and times stored as text are read back', () => {
		const step = redeliveryStep({ record: JSON.stringify(failedRecord({ attempts: '5', redeliveries: '1', nextAttemptAt: String(new Date(NOW - 1).toISOString()) })) }, RULES, NOW);
		assert.equal(step.kind, 'send');
		assert.equal(step.record.attempts, 5);
		assert.equal(step.record.redeliveries, 1);
	});
});

describe('redeliver: deletion wins over waiting deliveries', () => {
	const captured = new Date(NOW - 10 * M).toISOString();
	const row = (deletionDeliveredAt: unknown, over: Record<string, unknown> = {}) => ({
		id: 3,
		contactId: '4711',
		deletionDeliveredAt,
		record: JSON.stringify(failedRecord({ firstAttemptAt: captured, ...over })),
	});
	it('contact data captured before the contact\'s deletion was delivered is not sent again: superseded, with the reason', () => {
		const step = redeliveryStep(row(new Date(NOW - 1 * M).toISOString()), RULES, NOW);
		assert.equal(step.kind, 'superseded');
		assert.equal(step.record.status, 'superseded');
		assert.equal(step.record.nextAttemptAt, undefined);
		assert.match(String(step.record.reason), /deletion request was delivered at .*deletion wins\. Last: HTTP 503$/);
	});
	it('also when not due yet, never sent, or without a first attempt time (counts as older); the field may sit on the record', () => {
		assert.equal(redeliveryStep(row(new Date(NOW).toISOString(), { nextAttemptAt: new Date(NOW + H).toISOString() }), RULES, NOW).kind, 'superseded');
		assert.equal(redeliveryStep(row(NOW - M, { firstAttemptAt: undefined }), RULES, NOW).kind, 'superseded');
		assert.equal(redeliveryStep(failedRecord({ deletionDeliveredAt: new Date(NOW).toISOString() }), RULES, NOW).kind, 'superseded');
	});
	it('sent as usual: no deletion, an unreadable time, contact data captured after the deletion, a deletion request\'s own record', () => {
		assert.equal(redeliveryStep(row(undefined), RULES, NOW).kind, 'send');
		assert.equal(redeliveryStep(row(''), RULES, NOW).kind, 'send');
		assert.equal(redeliveryStep(row('not a time'), RULES, NOW).kind, 'send');
		assert.equal(redeliveryStep(row(new Date(NOW - 11 * M).toISOString()), RULES, NOW).kind, 'send', 'the person came back after the deletion');
		const audit = { contactId: '4711', email: 'a@example.de', outbound: 'Deletion → CRM', status: 'failed', at: captured };
		assert.equal(redeliveryStep(row(new Date(NOW).toISOString(), { audit }), RULES, NOW).kind, 'send');
	});
	it('delivered, dead and superseded records stay as they are', () => {
		for (const status of ['delivered', 'dead', 'superseded']) {
			assert.equal(redeliveryStep(row(new Date(NOW).toISOString(), { status }), RULES, NOW).kind, 'keep', status);
		}
	});
	it('a superseded record is no failure of the run, and nothing is sent for it', () => {
		const setup = redeliverySetup(sendSetup('none', undefined, 'POST', 'json'));
		const plans = planRedeliveries(setup, [row(new Date(NOW).toISOString()), row(undefined)], NOW);
		assert.deepEqual(plans.map((p) => p.kind), ['superseded', 'send']);
		const run = finishRedeliveries(setup, plans, [null, result({ status: 'delivered', httpStatus: 200, reason: undefined })], () => NOW);
		assert.deepEqual(run.records.map((r) => r.status), ['superseded', 'delivered']);
		assert.deepEqual(run.failed, []);
		assert.equal(run.summary, undefined);
	});
});

describe('redeliver: the record after one redelivery', () => {
	const sent = (over: Record<string, unknown> = {}) => {
		const step = redeliveryStep(failedRecord(over), RULES, NOW + H);
		assert.equal(step.kind, 'send');
		return step.record;
	};
	it('delivered: attempts added up, one more redelivery, no reason, no next attempt', () => {
		const record = redeliveredRecord(sent(), result({ status: 'delivered', reason: undefined, httpStatus: 200 }), RULES, NOW, false);
		assert.equal(record.status, 'delivered');
		assert.equal(record.attempts, 6);
		assert.equal(record.redeliveries, 1);
		assert.equal(record.reason, undefined);
		assert.equal(record.nextAttemptAt, undefined);
		assert.equal(record.firstAttemptAt, new Date(NOW - 10 * M).toISOString(), 'the first attempt stays');
		assert.equal(record.request.webhookId, 'msg_abc');
	});
	it('failed: the next attempt is the schedule step of the next redelivery', () => {
		const first = redeliveredRecord(sent(), result(), RULES, NOW, false);
		assert.equal(first.status, 'failed');
		assert.equal(first.nextAttemptAt, new Date(NOW + 5 * M).toISOString());
		const second = redeliveredRecord(sent({ redeliveries: 1 }), result(), RULES, NOW, false);
		assert.equal(second.nextAttemptAt, new Date(NOW + 30 * M).toISOString());
	});
	it('a longer Retry-After from the receiver wins, at most the longest wait of the schedule', () => {
		assert.equal(redeliveredRecord(sent(), result({ retryAfterMs: 10 * M }), RULES, NOW, false).nextAttemptAt, new Date(NOW + 10 * M).toISOString());
		assert.equal(redeliveredRecord(sent(), result({ retryAfterMs: 9 * H }), RULES, NOW, false).nextAttemptAt, new Date(NOW + 30 * M).toISOString());
		assert.equal(redeliveredRecord(sent(), result({ retryAfterMs: 1 * S }), RULES, NOW, false).nextAttemptAt, new Date(NOW + 5 * M).toISOString());
	});
	it('410 Gone: dead after one redelivery', () => {
		const record = redeliveredRecord(sent(), result({ httpStatus: 410, reason: 'HTTP 410' }), RULES, NOW, false);
		assert.equal(record.status, 'dead');
		assert.match(String(record.reason), /410 Gone/);
		assert.equal(record.nextAttemptAt, undefined);
	});
	it('other 4xx are redelivered on the schedule (the receiver may be fixed)', () => {
		assert.equal(redeliveredRecord(sent(), result({ httpStatus: 401, reason: 'HTTP 401' }), RULES, NOW, false).status, 'failed');
	});
	it('the last step of the schedule failing makes it dead', () => {
		const record = redeliveredRecord(sent({ redeliveries: 2 }), result(), RULES, NOW, false);
		assert.equal(record.status, 'dead');
		assert.match(String(record.reason), /no redelivery left in the schedule after 3/);
	});
	it('a deletion request\'s audit record (its ledger row) follows the status, HTTP status, attempts and time', () => {
		const audit = { eventId: 'evt_1', receivedAt: new Date(NOW - H).toISOString(), contactId: '1', email: 'a@example.de', outbound: 'CRM', status: 'failed', httpStatus: 503, attempts: 5, at: new Date(NOW - H).toISOString() };
		const record = redeliveredRecord(sent({ audit }), result({ status: 'delivered', httpStatus: 200 }), RULES, NOW, false);
		assert.deepEqual(record.audit, { ...audit, status: 'delivered', httpStatus: 200, attempts: record.attempts, at: new Date(NOW).toISOString() });
		assert.equal(record.attempts, 6);
		const stored = redeliveryStep({ id: 1, record: JSON.stringify(failedRecord({ audit, redeliveries: 9 })) }, RULES, NOW);
		assert.equal(stored.kind, 'dead');
		assert.deepEqual(stored.record.audit, { ...audit, status: 'dead', at: new Date(NOW).toISOString() }, 'read back from JSON text, given up');
	});
	it('Log Response Body: the last response only when asked', () => {
		assert.equal(redeliveredRecord(sent(), result({ responseBody: 'down' }), RULES, NOW, false).response, undefined);
		assert.deepEqual(redeliveredRecord(sent(), result({ responseBody: 'down' }), RULES, NOW, true).response, { body: 'down' });
	});
});

// ---- the hub: Send's record round-trips into the very same request ----

const CREDENTIALS: Record<AuthenticationMode, KlickTippCredential | undefined> = {
	none: undefined,
	apiKey: { apiKey: 'k-0123456789', keyName: 'access_key', keyLocation: 'body' },
	basicAuth: { username: 'crm', password: 'pw-0123456789' },
	signature: { signingSecret: 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64') },
	bearerToken: { bearerToken: 'tok-0123456789' },
};

function sendSetup(authentication: AuthenticationMode, credential: KlickTippCredential | undefined, method: OutboundMethod, format: 'json' | 'form'): OutboundSetup {
	return {
		name: 'CRM',
		label: 'crm',
		active: true,
		events: ['contactData'],
		authentication,
		options: parseOptions({}),
		credential,
		secrets: Object.values(credential ?? {}).filter((v): v is string => typeof v === 'string' && v.length > 8),
		method,
		format,
	};
}

function configOf(setup: OutboundSetup): OutboundConfig {
	return {
		name: setup.name,
		label: setup.label,
		url: 'https://crm.example.com/hook/__id__?src=kt',
		method: setup.method,
		format: setup.format,
		authentication: setup.authentication,
		headers: { 'user-agent': DEFAULTS.userAgent, 'x-tenant': 'köln' },
		mapping: {
			sendEmail: true,
			emailParameterName: 'email',
			fields: [{ value: '4711', parameterName: 'id', defaultValue: '' }, { value: 'Zoë & Jürgen', parameterName: 'name', defaultValue: '' }],
			staticValues: [{ name: 'list', value: 'news' }],
		},
	};
}

function redeliverySetup(send: OutboundSetup, over: Partial<RedeliverySetup> = {}): RedeliverySetup {
	return { authentication: send.authentication, credential: send.credential, secrets: send.secrets, options: { ...send.options, maxAttempts: 1 }, rules: RULES, ...over };
}

/** Send's failed record for one contact, as a Data Table row would keep it (JSON text). */
function storedFailure(setup: OutboundSetup): { row: Record<string, unknown>; sent: ReturnType<typeof buildRequest> } {
	const item = { contact: { id: '4711', email: 'a@example.de' }, eventId: 'ev-1' };
	const plans = planItems(setup, [item], () => configOf(setup), undefined);
	const run = finishRun(setup, [item], plans, [result({ attempts: 5, durationMs: 1000 })], undefined, { now: () => NOW - H });
	const sent = buildRequest(item, configOf(setup), setup.credential);
	return { row: { id: 1, record: JSON.stringify(run.records[0]) }, sent };
}

describe('redeliver hub: a stored record is sent again exactly as Send sent it', () => {
	for (const authentication of ['none', 'apiKey', 'basicAuth', 'bearerToken', 'signature'] as const) {
		for (const [method, format] of [['POST', 'json'], ['POST', 'form'], ['GET', 'json'], ['PUT', 'json'], ['PATCH', 'form'], ['DELETE', 'json']] as const) {
			it(`${authentication}, ${method}${hasBody(method) ? ` ${format}` : ''}: same method, URL, body, headers, webhook-id; no secret stored`, () => {
				const send = sendSetup(authentication, CREDENTIALS[authentication], method, format);
				const { row, sent } = storedFailure(send);
				for (const secret of send.secrets) assert.ok(!String(row.record).includes(secret), 'no secret in the stored record');
				assert.ok(!String(row.record).includes('***'), 'nothing masked in it either: it is replayable');
				const [plan] = planRedeliveries(redeliverySetup(send), [row], NOW);
				assert.equal(plan.kind, 'send');
				const { authorized, request } = plan as Extract<RedeliveryPlan, { authorized: unknown }>;
				assert.deepEqual(
					{ method: authorized.method, url: authorized.url, body: authorized.body, headers: authorized.headers, credentialHeaders: authorized.credentialHeaders },
					{ method: sent.request.method, url: sent.request.url, body: sent.request.body, headers: sent.request.headers, credentialHeaders: sent.request.credentialHeaders },
				);
				assert.equal(request.webhookId, sent.webhookId);
				if (authentication === 'signature') {
					const secret = String(CREDENTIALS.signature!.signingSecret);
					const headers = deliveryOptions(redeliverySetup(send), { request: authorized, webhookId: request.webhookId }, () => NOW).sign!(authorized);
					assert.equal(headers['webhook-id'], sent.webhookId);
					assert.equal(headers['webhook-timestamp'], String(NOW / 1000), 'a fresh timestamp');
					assert.ok(verifySignature(secret, headers, authorized.body ?? '', NOW / 1000).ok);
				}
			});
		}
	}

	it('the API key with location query or header is re-applied from the credential', () => {
		for (const keyLocation of ['query', 'header'] as const) {
			const send = sendSetup('apiKey', { apiKey: 'k-0123456789', keyName: 'X-Key', keyLocation }, 'POST', 'json');
			const { row, sent } = storedFailure(send);
			assert.ok(!String(row.record).includes('k-0123456789'));
			const rotated = { ...send.credential, apiKey: 'k-rotated-9876' };
			const [plan] = planRedeliveries(redeliverySetup(send, { credential: rotated }), [row], NOW);
			const { authorized } = plan as Extract<RedeliveryPlan, { authorized: unknown }>;
			if (keyLocation === 'query') assert.equal(new URL(authorized.url).searchParams.get('X-Key'), 'k-rotated-9876', 'the credential of now, not of then');
			else assert.equal(authorized.headers['x-key'], 'k-rotated-9876');
			assert.equal(authorized.body, sent.request.body);
		}
	});

	it('the node\'s authentication must be the one the record was sent with: SetupError naming the parameter and item', () => {
		const { row } = storedFailure(sendSetup('basicAuth', CREDENTIALS.basicAuth, 'POST', 'json'));
		const setup = redeliverySetup(sendSetup('none', undefined, 'POST', 'json'));
		assert.throws(
			() => planRedeliveries(setup, [failedRecord(), row], NOW),
			(e: unknown) => e instanceof SetupError && /^Parameter "Authentication" \(authentication\) is "none", but the record of item 2 \(outbound "CRM"\) was sent with "basicAuth"/.test(e.message) && e.details.itemIndex === 1,
		);
	});

	it('an API key static value that cannot be added to a tampered body makes the record dead, not the run', () => {
		const send = sendSetup('apiKey', CREDENTIALS.apiKey, 'POST', 'json');
		const [plan] = planRedeliveries(redeliverySetup(send), [failedRecord({ request: request({ authentication: 'apiKey', body: '[1,2]' }) })], NOW);
		assert.equal(plan.kind, 'dead');
		assert.match(String(plan.record.reason), /cannot take the API key/);
	});
});

describe('redeliver hub: finishing a run', () => {
	const setup = redeliverySetup(sendSetup('none', undefined, 'POST', 'json'));
	it('dead records are the run\'s failures; records that came in dead are not reported again', () => {
		const items = [failedRecord(), failedRecord({ status: 'dead' }), { contact: {} }, failedRecord({ firstAttemptAt: new Date(NOW).toISOString() })];
		const plans = planRedeliveries(setup, items, NOW);
		assert.deepEqual(plans.map((p) => p.kind), ['send', 'keep', 'dead', 'keep']);
		const run = finishRedeliveries(setup, plans, [result({ httpStatus: 410, reason: 'HTTP 410' }), null, null, null], () => NOW);
		assert.deepEqual(run.records.map((r) => r.status), ['dead', 'dead', 'dead', 'failed']);
		assert.deepEqual(run.failed, [0, 2]);
		assert.match(String(run.summary?.message), /^Outbound "CRM" is dead with HTTP 410: HTTP 410 \(410 Gone/);
		assert.match(String(run.summary?.description), /2 of 4 record\(s\) are dead/);
	});
	it('secrets echoed by the receiver are masked in the record', () => {
		const send = sendSetup('apiKey', CREDENTIALS.apiKey, 'POST', 'json');
		const withLog = redeliverySetup(send, { options: { ...send.options, maxAttempts: 1, logResponseBody: true } });
		const plans = planRedeliveries(withLog, [storedFailure(send).row], NOW);
		const run = finishRedeliveries(withLog, plans, [result({ responseBody: 'bad key k-0123456789' })], () => NOW);
		assert.ok(!JSON.stringify(run.records).includes('k-0123456789'));
		assert.equal((run.records[0].response as { body: string }).body, 'bad key ***');
	});
	it('the records have no undefined fields (n8n stores what it gets)', () => {
		const plans = planRedeliveries(setup, [failedRecord()], NOW);
		const [record] = finishRedeliveries(setup, plans, [result({ status: 'delivered', httpStatus: 200, reason: undefined })], () => NOW).records;
		for (const [key, value] of Object.entries(record)) assert.notEqual(value, undefined, key);
		assert.equal((record as unknown as OutboundOutput).status, 'delivered');
	});
});

describe('redeliver hub: secrets typed into Headers and Static Values', () => {
	const TOKEN = 'typed-token-0123456789';
	const COOKIE = 'sid=cookie-0123456789';
	function typedConfig(setup: OutboundSetup): OutboundConfig {
		const config = configOf(setup);
		return {
			...config,
			headers: { ...config.headers, authorization: `Bearer ${TOKEN}`, cookie: COOKIE },
			mapping: { ...config.mapping, staticValues: [...config.mapping.staticValues, { name: 'pin', value: '4242-secret-pin', secret: true }, { name: 'access_token', value: 'at-0123456789' }] },
		};
	}
	function storedTyped(setup: OutboundSetup): { row: Record<string, unknown>; sent: ReturnType<typeof buildRequest> } {
		const item = { contact: { id: '4711', email: 'a@example.de' }, eventId: 'ev-1' };
		const plans = planItems(setup, [item], () => typedConfig(setup), undefined);
		const run = finishRun(setup, [item], plans, [result({ attempts: 5, durationMs: 1000, responseBody: `echo ${TOKEN}` })], undefined, { now: () => NOW - H });
		return { row: { id: 1, record: JSON.stringify(run.records[0]) }, sent: buildRequest(item, typedConfig(setup), setup.credential) };
	}
	const FILL = {
		headers: { authorization: `Bearer ${TOKEN}`, cookie: COOKIE },
		parameters: { pin: '4242-secret-pin', access_token: 'at-0123456789' },
	};

	for (const [method, format] of [['POST', 'json'], ['POST', 'form'], ['GET', 'json']] as const) {
		it(`${method}${method === 'POST' ? ` ${format}` : ''}: the record masks them and lists their names; Redeliver fills them and sends the same request`, () => {
			const send = sendSetup('none', undefined, method, format);
			const { row, sent } = storedTyped(send);
			const text = String(row.record);
			for (const secret of [TOKEN, 'cookie-0123456789', '4242-secret-pin', 'at-0123456789']) assert.ok(!text.includes(secret), `no ${secret} in the record`);
			const stored = JSON.parse(text) as OutboundOutput;
			assert.deepEqual(stored.request.masked, { headers: ['authorization', 'cookie'], parameters: ['pin', 'access_token'] });
			assert.equal(stored.request.headers?.authorization, '***');
			assert.ok(text.includes('news'), 'the other values are kept');
			const [plan] = planRedeliveries(redeliverySetup(send, { fill: FILL }), [row], NOW);
			assert.equal(plan.kind, 'send');
			const { authorized, record } = plan as Extract<RedeliveryPlan, { authorized: unknown }>;
			assert.deepEqual(
				{ url: authorized.url, body: authorized.body, headers: authorized.headers },
				{ url: sent.request.url, body: sent.request.body, headers: sent.request.headers },
			);
			assert.deepEqual(record.request.masked, stored.request.masked, 'the record keeps its list for the next run');
		});
	}

	it('Redeliver without the value: SetupError naming Headers or Static Values and the item; nothing is sent', () => {
		const send = sendSetup('none', undefined, 'POST', 'json');
		const { row } = storedTyped(send);
		assert.throws(
			() => planRedeliveries(redeliverySetup(send), [failedRecord(), row], NOW),
			(e: unknown) => e instanceof SetupError && /^Option "Headers" \(options\.headers\): the record of item 2 .*"authorization"/.test(e.message) && e.details.itemIndex === 1,
		);
		assert.throws(
			() => planRedeliveries(redeliverySetup(send, { fill: { headers: FILL.headers, parameters: { pin: 'x' } } }), [row], NOW),
			(e: unknown) => e instanceof SetupError && /^Parameter "Static Values" \(staticValues\): .*"access_token"/.test(e.message),
		);
	});

	it('a secret in the URL (a placeholder) cannot be filled: the record is dead with the reason', () => {
		const send = sendSetup('none', undefined, 'POST', 'json');
		const item = { contact: { id: '4711', email: 'a@example.de' } };
		const config = { ...typedConfig(send), url: 'https://crm.example.com/hook/__pin__' };
		const run = finishRun(send, [item], planItems(send, [item], () => config, undefined), [result({ attempts: 1 })], undefined, { now: () => NOW - H });
		assert.ok(!JSON.stringify(run.records).includes('4242-secret-pin'));
		const [plan] = planRedeliveries(redeliverySetup(send, { fill: FILL }), [{ record: JSON.stringify(run.records[0]) }], NOW);
		assert.equal(plan.kind, 'dead');
		assert.match(String(plan.record.reason), /also stood elsewhere in the request/);
	});

	it("Redeliver's output masks the filled values (also echoed by the receiver)", () => {
		const send = sendSetup('none', undefined, 'POST', 'json');
		const setup = redeliverySetup(send, { fill: FILL, secrets: [TOKEN, COOKIE, ...Object.values(FILL.parameters)], options: { ...send.options, maxAttempts: 1, logResponseBody: true } });
		const plans = planRedeliveries(setup, [storedTyped(send).row], NOW);
		const run = finishRedeliveries(setup, plans, [result({ responseBody: `bad ${TOKEN} at-0123456789` })], () => NOW);
		assert.ok(!JSON.stringify(run.records).includes(TOKEN));
		assert.equal((run.records[0].response as { body: string }).body, 'bad *** ***');
	});
});
