import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { buildRequest, eventOf, urlProblem, withIdempotencyHeader } from '../../nodes/core/outbound/build';
import type { OutboundConfig } from '../../nodes/core/outbound/build';
import { OutboundParameterError } from '../../nodes/core/outbound/errors';
import type { MappingConfig } from '../../nodes/core/outbound/mapping';

const item = {
	event: 'contactData',
	contact: { id: '4711', email: 'Max@Example.de', firstName: 'Jürgen', lastName: '', fields: {} },
	email: 'other@example.de',
};

const base: MappingConfig = { sendEmail: true, emailParameterName: 'email', fields: [], staticValues: [] };

describe('outbound buildRequest', () => {
	const config: OutboundConfig = {
		name: 'CRM',
		label: '',
		url: 'https://crm.example.com/contacts/__SubscriberID__?src=kt',
		method: 'POST',
		format: 'json',
		authentication: 'none',
		headers: { 'x-team': 'growth' },
		mapping: {
			...base,
			fields: [{ value: '4711', parameterName: 'SubscriberID', defaultValue: '' }],
			staticValues: [{ name: 'source', value: 'klicktipp' }],
		},
	};

	it('maps, expands placeholders, encodes and adds headers', () => {
		const built = buildRequest(item, config, undefined);
		assert.equal(built.request.url, 'https://crm.example.com/contacts/4711?src=kt');
		assert.equal(built.request.body, '{"email":"Max@Example.de","SubscriberID":"4711","source":"klicktipp"}');
		assert.equal(built.request.headers['content-type'], 'application/json; charset=utf-8');
		assert.equal(built.request.headers['x-team'], 'growth');
		assert.match(built.webhookId, /^msg_[A-Za-z0-9_-]{32}$/);
	});

	it('gives the same webhook-id for the same item and a different one for another event', () => {
		const a = buildRequest({ ...item, eventId: 'ev1' }, config, undefined).webhookId;
		assert.equal(buildRequest({ ...item, eventId: 'ev1' }, config, undefined).webhookId, a);
		assert.notEqual(buildRequest({ ...item, eventId: 'ev2' }, config, undefined).webhookId, a);
		assert.notEqual(buildRequest({ ...item, eventId: 'ev1' }, { ...config, name: 'ERP' }, undefined).webhookId, a);
		const noId = buildRequest(item, config, undefined).webhookId;
		assert.equal(buildRequest(item, config, undefined).webhookId, noId);
	});

	it('gives the same webhook-id whatever else the item holds (nothing execution-specific): only the event ID or the parameters sent count', () => {
		const a = buildRequest({ ...item, eventId: 'ev1', receivedAt: '2026-01-01T00:00:00Z', executionId: '17' }, config, undefined);
		const b = buildRequest({ ...item, eventId: 'ev1', receivedAt: '2026-01-02T00:00:00Z', executionId: '18' }, config, undefined);
		assert.equal(a.webhookId, b.webhookId);
		const c = buildRequest({ ...item, receivedAt: '2026-01-01T00:00:00Z', runIndex: 0 }, config, undefined);
		const d = buildRequest({ ...item, receivedAt: '2026-01-02T00:00:00Z', runIndex: 1 }, config, undefined);
		assert.equal(c.webhookId, d.webhookId, 'fields not sent do not change the id');
	});

	it('sends the webhook-id under the idempotency header with every authentication, kept in the request before authentication', () => {
		const creds = {
			none: undefined,
			apiKey: { apiKey: 'k-1234567890abcdef', keyName: 'X-Api-Key', keyLocation: 'header' },
			basicAuth: { username: 'u', password: 'p-1234567890' },
		} as const;
		for (const [authentication, cred] of Object.entries(creds)) {
			for (const name of ['webhook-id', 'idempotency-key']) {
				const built = buildRequest(
					{ ...item, eventId: 'ev1' },
					{ ...config, authentication: authentication as OutboundConfig['authentication'], idempotencyHeader: name },
					cred,
				);
				assert.equal(built.request.headers[name], built.webhookId, `${authentication} ${name}`);
				assert.equal(built.replay.headers[name], built.webhookId, `${authentication} ${name}: the record keeps it`);
			}
		}
		const none = buildRequest(item, { ...config, idempotencyHeader: '' }, undefined);
		assert.ok(!Object.values(none.request.headers).includes(none.webhookId), 'empty = no idempotency header');
	});

	it('a header of the same name configured under Headers wins over the idempotency header', () => {
		assert.deepEqual(withIdempotencyHeader({ 'x-request-id': 'mine' }, 'x-request-id', 'msg_1'), { 'x-request-id': 'mine' });
		assert.deepEqual(withIdempotencyHeader({ a: '1' }, 'x-request-id', 'msg_1'), { a: '1', 'x-request-id': 'msg_1' });
		assert.deepEqual(withIdempotencyHeader({ a: '1' }, undefined, 'msg_1'), { a: '1' });
	});

	it('puts an API key with location body in the body as a static value (and into GET queries)', () => {
		const cred = { apiKey: 'k-1234567890abcdef', keyName: 'apiKey', keyLocation: 'body' };
		const post = buildRequest(item, { ...config, authentication: 'apiKey' }, cred);
		assert.deepEqual(JSON.parse(post.request.body!).apiKey, 'k-1234567890abcdef');
		const get = buildRequest(item, { ...config, method: 'GET', authentication: 'apiKey' }, cred);
		assert.match(get.request.url, /&apiKey=k-1234567890abcdef$/);
		assert.throws(
			() =>
				buildRequest(item, { ...config, authentication: 'apiKey', mapping: { ...config.mapping, staticValues: [{ name: 'apiKey', value: 'x' }] } }, cred),
			(e: OutboundParameterError) => /"apiKey"/.test(e.message),
		);
	});

	it('keeps the request before authentication apart: no key in it, the key only in the request sent', () => {
		const cred = { apiKey: 'k-1234567890abcdef', keyName: 'apiKey', keyLocation: 'body' };
		const built = buildRequest(item, { ...config, authentication: 'apiKey' }, cred);
		assert.ok(!JSON.stringify(built.replay).includes('k-1234567890abcdef'));
		assert.equal(built.replay.authentication, 'apiKey');
		assert.equal(built.replay.webhookId, built.webhookId);
		assert.equal(JSON.parse(built.replay.body!).apiKey, undefined);
	});

	it('refuses a URL placeholder for the API key (every record keeps the URL), naming the parameter "url"', () => {
		const cred = { apiKey: 'k-1234567890abcdef', keyName: 'apiKey', keyLocation: 'body' };
		assert.throws(
			() => buildRequest(item, { ...config, url: 'https://x.de/hook?key=__apiKey__', authentication: 'apiKey' }, cred),
			(e: OutboundParameterError) => e.parameter === 'url' && /__apiKey__ would put the API key into the URL/.test(e.message) && !e.message.includes('k-1234'),
		);
	});

	it('refuses invalid URLs and unknown placeholders with the parameter "url"', () => {
		for (const url of ['', 'crm.example.com/x', 'ftp://x.de/', 'https://user:pw@x.de/']) {
			assert.throws(() => buildRequest(item, { ...config, url }, undefined), (e: OutboundParameterError) => e.parameter === 'url');
		}
		assert.equal(urlProblem('https://x.de/__email__'), null);
		assert.throws(
			() => buildRequest(item, { ...config, url: 'https://x.de/__missing__' }, undefined),
			(e: OutboundParameterError) => e.parameter === 'url' && /__missing__/.test(e.message),
		);
	});

	it('classifies events; items without event are contact data', () => {
		assert.equal(eventOf({}), 'contactData');
		assert.equal(eventOf({ event: 'contactData' }), 'contactData');
		assert.equal(eventOf({ event: 'deletionRequest' }), 'deletionRequest');
		assert.equal(eventOf({ event: 'Deletion' }), 'deletionRequest');
	});
});
