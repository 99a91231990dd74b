import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { contactIdOf, emailOf, mapItem, MappingError, toParamString, duplicateNames } from '../../nodes/core/outbound/mapping';
import type { MappingConfig } from '../../nodes/core/outbound/mapping';

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
