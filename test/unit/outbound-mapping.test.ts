import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { contactIdOf, emailOf, mapItem, MappingError, toParamString, duplicateNames } from '../../nodes/core/outbound/mapping';
import type { MappingConfig } from '../../nodes/core/outbound/mapping';
import { expandPlaceholders, placeholderNames, PlaceholderError } from '../../nodes/core/outbound/placeholders';
import { appendQuery, encodeRequest, formEncode } from '../../nodes/core/outbound/encoding';
import { buildRequest, eventOf, urlProblem } from '../../nodes/core/outbound/build';
import { auditRecord } from '../../nodes/core/outbound/output';
import type { OutboundConfig } from '../../nodes/core/outbound/build';
import { OutboundParameterError } from '../../nodes/core/outbound/errors';
import { testMapping, testContactItem } from '../../nodes/core/outbound/test-contact';

const item = {
	event: 'contactData',
	contact: { id: '4711', email: 'Max@Example.de', firstName: 'Jürgen', lastName: '', fields: {} },
	email: 'other@example.de',
};

const base: MappingConfig = { sendEmail: true, emailParameterName: 'email', fields: [], staticValues: [] };

describe('outbound mapping: email, fields, defaults, static values', () => {
	it('takes the email from json.contact.email, else json.email', () => {
		assert.equal(emailOf(item), 'Max@Example.de');
		assert.equal(emailOf({ email: ' a@b.de ' }), 'a@b.de');
		assert.equal(emailOf({ contact: { email: '' }, email: 'x@y.de' }), 'x@y.de');
		assert.equal(emailOf({}), '');
		assert.equal(contactIdOf(item), '4711');
		assert.equal(contactIdOf({ SubscriberID: 12 }), '12');
	});

	it('maps fields under their parameter names, uses the default only when the value is empty', () => {
		const params = mapItem(item, {
			...base,
			fields: [
				{ value: 'Jürgen', parameterName: 'first_name', defaultValue: 'Kunde' },
				{ value: '', parameterName: 'last_name', defaultValue: 'Unbekannt' },
				{ value: '   ', parameterName: 'company', defaultValue: 'n/a' },
				{ value: 0, parameterName: 'score', defaultValue: '99' },
				{ value: null, parameterName: 'city' },
			],
			staticValues: [{ name: 'source', value: 'klicktipp' }],
		});
		assert.deepEqual(params, [
			['email', 'Max@Example.de'],
			['first_name', 'Jürgen'],
			['last_name', 'Unbekannt'],
			['company', 'n/a'],
			['score', '0'],
			['city', ''],
			['source', 'klicktipp'],
		]);
	});

	it('sends no email when sendEmail is off, and uses the configured email parameter name', () => {
		assert.deepEqual(mapItem(item, { ...base, sendEmail: false }), []);
		assert.deepEqual(mapItem(item, { ...base, emailParameterName: 'EmailAddress' }), [['EmailAddress', 'Max@Example.de']]);
	});

	it('rejects duplicate parameter names, naming them and the parameter at fault', () => {
		assert.throws(
			() => mapItem(item, { ...base, fields: [{ value: 'a', parameterName: 'email' }] }),
			(e: MappingError) => e instanceof MappingError && e.parameter === 'fields' && /"email"/.test(e.message),
		);
		assert.throws(
			() => mapItem(item, { ...base, staticValues: [{ name: 'src', value: 1 }, { name: 'src', value: 2 }] }),
			(e: MappingError) => e.parameter === 'staticValues' && /Duplicate parameter name: "src"/.test(e.message),
		);
		assert.throws(
			() => mapItem(item, { ...base, staticValues: [{ name: 'apiKey', value: 1 }] }, ['apiKey']),
			(e: MappingError) => /"apiKey"/.test(e.message),
		);
		assert.deepEqual(duplicateNames(['a', 'b', 'a', 'c', 'b']), ['a', 'b']);
		// Case matters (PHP's $_REQUEST keeps Email and email apart).
		assert.doesNotThrow(() => mapItem(item, { ...base, fields: [{ value: 'x', parameterName: 'Email' }] }));
	});

	it('rejects empty names', () => {
		assert.throws(() => mapItem(item, { ...base, emailParameterName: ' ' }), (e: MappingError) => e.parameter === 'emailParameterName');
		assert.throws(() => mapItem(item, { ...base, fields: [{ value: 'x', parameterName: '' }] }), (e: MappingError) => e.parameter === 'fields');
		assert.throws(() => mapItem(item, { ...base, staticValues: [{ name: '', value: 'x' }] }), (e: MappingError) => e.parameter === 'staticValues');
	});

	it('turns values into wire strings', () => {
		assert.equal(toParamString(12.5), '12.5');
		assert.equal(toParamString(true), 'true');
		assert.equal(toParamString({ a: 1 }), '{"a":1}');
		assert.equal(toParamString(new Date('2026-01-02T03:04:05Z')), '2026-01-02T03:04:05.000Z');
		assert.equal(toParamString(undefined), '');
	});
});

describe('outbound placeholders', () => {
	const params: Array<[string, string]> = [
		['email', 'jürgen+test@example.de'],
		['first_name', 'Jürgen Müller'],
		['SubscriberID', '4711'],
	];

	it('replaces __name__ URL-encoded, including names with underscores', () => {
		assert.equal(
			expandPlaceholders('https://x.de/api/Users/UserCreate?email=__email__&n=__first_name__', params),
			'https://x.de/api/Users/UserCreate?email=j%C3%BCrgen%2Btest%40example.de&n=J%C3%BCrgen%20M%C3%BCller',
		);
		assert.equal(expandPlaceholders('https://x.de/c/__SubscriberID__/sync', params), 'https://x.de/c/4711/sync');
		assert.equal(expandPlaceholders('https://x.de/plain', params), 'https://x.de/plain');
	});

	it('names every unknown placeholder in the error', () => {
		assert.throws(
			() => expandPlaceholders('https://x.de/?a=__nope__&b=__email__&c=__other__', params),
			(e: PlaceholderError) =>
				e instanceof PlaceholderError &&
				e instanceof OutboundParameterError &&
				e.parameter === 'url' &&
				/__nope__/.test(e.message) &&
				/__other__/.test(e.message) &&
				!/__email__,/.test(e.message),
		);
		assert.deepEqual(placeholderNames('https://x/__a__/__b__/__a__'), ['a', 'b']);
	});
});

describe('outbound encoding', () => {
	const params: Array<[string, string]> = [
		['email', 'max@example.de'],
		['name', 'Jürgen Groß & Söhne'],
		['note', 'a+b=c'],
	];

	it('JSON body with UTF-8 and a content type', () => {
		const r = encodeRequest('POST', 'json', 'https://x.de/hook', params);
		assert.equal(r.body, '{"email":"max@example.de","name":"Jürgen Groß & Söhne","note":"a+b=c"}');
		assert.equal(r.contentType, 'application/json; charset=utf-8');
		assert.equal(r.url, 'https://x.de/hook');
		// '__proto__' stays an ordinary key
		assert.equal(encodeRequest('POST', 'json', 'https://x', [['__proto__', 'x']]).body, '{"__proto__":"x"}');
	});

	it('form body, UTF-8 percent-encoded, spaces as +', () => {
		const r = encodeRequest('POST', 'form', 'https://x.de/hook', params);
		assert.equal(r.body, 'email=max%40example.de&name=J%C3%BCrgen+Gro%C3%9F+%26+S%C3%B6hne&note=a%2Bb%3Dc');
		assert.equal(r.contentType, 'application/x-www-form-urlencoded; charset=utf-8');
		assert.deepEqual([...new URLSearchParams(r.body!)], params);
	});

	it('GET appends every parameter to an existing query (WP Fusion URLs), keeps the fragment', () => {
		const r = encodeRequest('GET', 'json', 'https://wp.example.com/?wpf_action=add&access_key=abc123', params);
		assert.equal(r.body, null);
		assert.equal(r.contentType, null);
		assert.equal(
			r.url,
			'https://wp.example.com/?wpf_action=add&access_key=abc123&email=max%40example.de&name=J%C3%BCrgen+Gro%C3%9F+%26+S%C3%B6hne&note=a%2Bb%3Dc',
		);
		assert.equal(appendQuery('https://x/p', [['a', '1']]), 'https://x/p?a=1');
		assert.equal(appendQuery('https://x/p?', [['a', '1']]), 'https://x/p?a=1');
		assert.equal(appendQuery('https://x/p?k=v&', [['a', '1']]), 'https://x/p?k=v&a=1');
		assert.equal(appendQuery('https://x/p?k=v#frag', [['a', '1']]), 'https://x/p?k=v&a=1#frag');
		assert.equal(formEncode([]), '');
	});
});

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

	it('puts an API key with location body in the body as a static value (and into GET queries)', () => {
		const cred = { apiKey: 'k-1234567890abcdef', apiKeyName: 'apiKey', apiKeyIn: 'body' };
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
		assert.deepEqual(auditRecord(item, 'CRM', 'delivered', Date.UTC(2026, 0, 1)), {
			contactId: '4711',
			email: 'max@example.de',
			outbound: 'CRM',
			status: 'delivered',
			at: '2026-01-01T00:00:00.000Z',
		});
	});

	it('sendTest mapping: contact 12345, defaults for every field', () => {
		const m = testMapping({ ...base, fields: [{ value: 'real', parameterName: 'first', defaultValue: 'Max' }, { value: 'x', parameterName: 'city' }] });
		const params = mapItem(testContactItem(), m);
		assert.deepEqual(params, [['email', 'test@example.com'], ['first', 'Max'], ['city', ''], ['SubscriberID', '12345']]);
		const withId = testMapping({ ...base, fields: [{ value: '{{x}}', parameterName: 'contact_id' }] });
		assert.deepEqual(mapItem(testContactItem(), withId), [['email', 'test@example.com'], ['contact_id', '12345']]);
	});
});
