import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import type { INodeProperties } from 'n8n-workflow';

import { outboundProperties } from '../../nodes/KlickTippOutbound/description';
import { SetupError } from '../../nodes/core/outbound/errors';
import type { SetupParameters } from '../../nodes/core/outbound/setup';
import { hasBody, OUTBOUND_METHODS } from '../../nodes/core/outbound/encoding';
import { DEFAULTS, itemConfig, parseOptions, parseRedeliverySetup, parseSetup, requestHeaders } from '../../nodes/core/outbound/setup';

const base: SetupParameters = {
	outboundName: ' CRM ',
	label: 'crm',
	active: true,
	events: ['contactData'],
	authentication: 'none',
	options: {},
	method: 'POST',
	format: 'json',
	formatSet: false,
};
const noCredential = async () => assert.fail('no credential is loaded for authentication none');

async function refused(p: Partial<SetupParameters>, message: RegExp, load: () => Promise<Record<string, unknown>> = noCredential) {
	await assert.rejects(parseSetup({ ...base, ...p }, load), (error: unknown) => {
		assert.ok(error instanceof SetupError);
		assert.match(error.message, message);
		return true;
	});
}

describe('outbound setup: defaults (one home, the node description shows them)', () => {
	const property = (name: string, list: INodeProperties[] = outboundProperties): INodeProperties => {
		const found = list.find((p) => p.name === name);
		assert.ok(found, name);
		return found;
	};
	const option = (name: string) => property(name, property('options').options as INodeProperties[]);
	it('the Method options are the core\'s methods; Format shows exactly for the methods with a body', () => {
		const methods = (property('method').options as Array<{ value: string }>).map((o) => o.value);
		assert.deepEqual([...methods].sort(), [...OUTBOUND_METHODS].sort());
		assert.deepEqual([...(property('format').displayOptions?.show?.method ?? [])].sort(), OUTBOUND_METHODS.filter(hasBody).sort());
	});
	it('every default in the description is the core default', () => {
		assert.deepEqual(property('events').default, DEFAULTS.events);
		assert.equal(property('authentication').default, DEFAULTS.authentication);
		assert.equal(property('method').default, DEFAULTS.method);
		assert.equal(property('format').default, DEFAULTS.format);
		assert.equal(property('sendEmail').default, DEFAULTS.sendEmail);
		assert.equal(property('emailParameterName').default, DEFAULTS.emailParameterName);
		assert.equal(option('concurrency').default, DEFAULTS.concurrency);
		assert.equal(option('timeout').default, DEFAULTS.timeoutMs);
		assert.equal(option('maxAttempts').default, DEFAULTS.maxAttempts);
		assert.equal(option('retryDelay').default, DEFAULTS.retryDelayMs);
		assert.equal(option('maxRetryAfterSeconds').default, DEFAULTS.maxRetryAfterSeconds);
		assert.equal(option('oncePerContactHours').default, DEFAULTS.oncePerContactHours);
		assert.equal(option('idempotencyHeader').default, DEFAULTS.idempotencyHeader);
		assert.equal(option('adaptivePacing').default, parseOptions({}).adaptivePacing);
		assert.match(String(option('followRedirects').description), new RegExp(`up to ${DEFAULTS.maxRedirects} redirects`));
	});
	it('options fall back to the defaults and are clamped', () => {
		assert.deepEqual(parseOptions({}), {
			adaptivePacing: true,
			logResponseBody: false,
			timeout: 30_000,
			maxAttempts: 5,
			concurrency: 100,
			outageBudget: 30_000,
			oncePerContactHours: 0,
			allowPrivateTargets: false,
			requireHttps: false,
			followRedirects: true,
			maxRetryAfterSeconds: 60,
			retryDelay: 500,
			idempotencyHeader: 'webhook-id',
		});
		assert.equal(parseOptions({ idempotencyHeader: ' Idempotency-Key ' }).idempotencyHeader, 'idempotency-key');
		assert.equal(parseOptions({ idempotencyHeader: '' }).idempotencyHeader, '');
		const o = parseOptions({ maxAttempts: 99, concurrency: 0, timeout: 'x', oncePerContactHours: -1, followRedirects: false, adaptivePacing: false });
		assert.equal(o.maxAttempts, 20);
		assert.equal(o.concurrency, 1);
		assert.equal(o.timeout, 30_000);
		assert.equal(o.oncePerContactHours, 0);
		assert.equal(o.followRedirects, false);
		assert.equal(o.adaptivePacing, false);
	});
});

describe('outbound setup: headers', () => {
	it('sends the default User-Agent unless a User-Agent header is configured (any case)', () => {
		assert.equal(DEFAULTS.userAgent, 'n8n-nodes-klicktipp-outbound');
		assert.deepEqual(requestHeaders(undefined, 0), { 'user-agent': 'n8n-nodes-klicktipp-outbound' });
		assert.deepEqual(requestHeaders({ header: [{ name: 'X-Team', value: 'crm' }] }, 0), { 'x-team': 'crm', 'user-agent': 'n8n-nodes-klicktipp-outbound' });
		assert.deepEqual(requestHeaders({ header: [{ name: 'User-Agent', value: 'mine/1' }] }, 0), { 'user-agent': 'mine/1' });
	});
	it('skips nameless headers; refuses a name that is no HTTP token or a value with a line break, naming the item', () => {
		assert.deepEqual(requestHeaders({ header: [{ name: ' ', value: 'x' }] }, 0), { 'user-agent': DEFAULTS.userAgent });
		for (const header of [{ name: 'Bad Name', value: 'x' }, { name: 'X-Ok', value: 'a\r\nInjected: 1' }]) {
			assert.throws(
				() => requestHeaders({ header: [header] }, 3),
				(error: unknown) => error instanceof SetupError && error.details.itemIndex === 3 && /Option "Headers" \(options.headers\) has an invalid header/.test(error.message),
			);
		}
	});
});

describe('outbound setup: parseSetup validates the parameters', () => {
	it('a complete setup', async () => {
		const setup = await parseSetup(base, noCredential);
		assert.equal(setup.name, 'CRM');
		assert.equal(setup.credential, undefined);
		assert.deepEqual(setup.secrets, []);
		assert.equal(setup.method, 'POST');
		assert.equal(setup.format, 'json');
	});
	it('refuses what it cannot run with, naming the parameter', async () => {
		await refused({ outboundName: '  ' }, /^Parameter "Outbound Name" \(outboundName\) is required$/);
		await refused({ events: ['contactData', 'tagged'] }, /^Parameter "Events" \(events\) has an unknown event "tagged"$/);
		await refused({ authentication: 'oauth' }, /^Parameter "Authentication" \(authentication\) has an unknown value "oauth"$/);
		await refused({ method: 'HEAD' }, /^Parameter "Method" \(method\) must be one of POST, GET, PUT, PATCH, DELETE, not "HEAD"$/);
		await refused({ format: 'xml' }, /^Parameter "Format" \(format\) must be json or form, not "xml"$/);
		await refused({ method: 'GET', formatSet: true }, /^Parameter "Format" \(format\) applies only to POST, PUT and PATCH: with GET/);
		await refused({ method: 'DELETE', formatSet: true }, /^Parameter "Format" \(format\) applies only to POST, PUT and PATCH: with DELETE/);
		await refused({ method: 'PUT', format: 'xml' }, /^Parameter "Format" \(format\) must be json or form, not "xml"$/);
	});
	it('loads the credential only when the authentication needs one, and refuses one that does not fit, masked', async () => {
		const setup = await parseSetup({ ...base, authentication: 'apiKey' }, async () => ({ apiKey: 'k-0123456789', keyName: 'apiKey' }));
		assert.deepEqual(setup.secrets, ['k-0123456789']);
		await refused({ authentication: 'basicAuth' }, /^The credential does not fit Authentication "basicAuth": the Password is empty$/, async () => ({ username: 'u' }));
		await assert.rejects(
			parseSetup({ ...base, authentication: 'apiKey' }, async () => ({ apiKey: 'key\nwith-break-123', keyName: 'X-Key', keyLocation: 'header' })),
			(error: unknown) => error instanceof SetupError && !error.message.includes('with-break') && /Open the credential/.test(error.details.description ?? ''),
		);
	});
	it('PUT and PATCH take the format like POST; DELETE none (its parameters go into the query)', async () => {
		for (const method of ['put', 'patch'] as const) {
			const setup = await parseSetup({ ...base, method, format: 'form', formatSet: true }, noCredential);
			assert.equal(setup.method, method.toUpperCase());
			assert.equal(setup.format, 'form');
		}
		const del = await parseSetup({ ...base, method: 'delete', format: undefined, formatSet: false }, noCredential);
		assert.equal(del.method, 'DELETE');
		assert.equal(del.format, DEFAULTS.format);
	});
	it('the idempotency header: any valid header name (lower case) or empty; anything else is refused naming the option', async () => {
		const setup = await parseSetup({ ...base, options: { idempotencyHeader: 'X-Request-Id' } }, noCredential);
		assert.equal(setup.options.idempotencyHeader, 'x-request-id');
		assert.equal(itemConfig(setup, { url: 'https://x/h', sendEmail: true, emailParameterName: 'email', fields: {}, staticValues: {}, headers: undefined }, 0).idempotencyHeader, 'x-request-id');
		assert.equal((await parseSetup({ ...base, options: { idempotencyHeader: '' } }, noCredential)).options.idempotencyHeader, '');
		await refused({ options: { idempotencyHeader: 'Idempotency Key' } }, /"Idempotency Header" \(options.idempotencyHeader\)/);
		await refused({ options: { idempotencyHeader: 'x:y' } }, /not a valid header name/);
	});
	it('GET without a format; the item configuration carries method, format and headers', async () => {
		const setup = await parseSetup({ ...base, method: 'get' }, noCredential);
		assert.equal(setup.method, 'GET');
		const config = itemConfig(setup, { url: 'https://x/h', sendEmail: false, emailParameterName: 'mail', fields: { field: [{ value: 1, parameterName: 'n' }] }, staticValues: { value: [{ name: 's', value: 'v' }] }, headers: undefined }, 0);
		assert.deepEqual(config, {
			name: 'CRM',
			label: 'crm',
			url: 'https://x/h',
			method: 'GET',
			format: 'json',
			authentication: 'none',
			headers: { 'user-agent': DEFAULTS.userAgent },
			idempotencyHeader: 'webhook-id',
			mapping: { sendEmail: false, emailParameterName: 'mail', fields: [{ value: 1, parameterName: 'n', defaultValue: undefined }], staticValues: [{ name: 's', value: 'v', secret: false }] },
		});
	});
});

describe('outbound setup: Redeliver fills masked secrets from its own Headers and Static Values', () => {
	it('reads them by name (headers lower-cased, no default User-Agent) and counts every value as a secret', async () => {
		const setup = await parseRedeliverySetup(
			{
				authentication: 'none',
				options: { headers: { header: [{ name: 'Authorization', value: 'Bearer tok-0123' }, { name: 'X-Api-Key', value: 'k-0123' }] } },
				staticValues: { value: [{ name: ' token ', value: 'sv-0123' }, { name: 'pin', value: 4242, secret: true }, { name: '', value: 'x' }] },
			},
			async () => ({}),
		);
		assert.deepEqual(setup.fill, { headers: { authorization: 'Bearer tok-0123', 'x-api-key': 'k-0123' }, parameters: { token: 'sv-0123', pin: '4242' } });
		assert.deepEqual(setup.secrets, ['sv-0123', '4242', 'Bearer tok-0123', 'tok-0123', 'k-0123']);
		const none = await parseRedeliverySetup({ authentication: 'none', options: {} }, async () => ({}));
		assert.deepEqual(none.fill, { headers: {}, parameters: {} });
		assert.deepEqual(none.secrets, []);
	});
});
