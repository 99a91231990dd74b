import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { normalizeContact, normalizeContactWithUse, normalizePhone, parseParameterNames } from '../../nodes/core/inbound/normalize';
import { emptyParams, type Params } from '../../nodes/core/inbound/types';

const p = (o: Record<string, unknown>): Params => Object.assign(emptyParams(), o);

describe('inbound normalize: contact', () => {
	it('maps KlickTipp parameter names to the contact', () => {
		const c = normalizeContact(
			p({
				SubscriberID: ' 987654 ',
				email: '  Max.Mustermann@Example.DE ',
				CustomFieldFirstName: 'Jürgen',
				CustomFieldLastName: 'Müller',
				PhoneNumber: '00491701234567',
				CustomField219989: 'Gold',
				CustomFieldWebsite: 'https://example.de',
				unknownKey: 'kept in params, not here',
			}),
		);
		assert.deepEqual(c, {
			id: '987654',
			email: 'max.mustermann@example.de',
			firstName: 'Jürgen',
			lastName: 'Müller',
			phone: '+491701234567',
			fields: { fieldFirstName: 'Jürgen', fieldLastName: 'Müller', field219989: 'Gold', fieldWebsite: 'https://example.de' },
		});
	});
	it('SubscriberID in any case, then contact_id, then id; numbers become strings', () => {
		assert.equal(normalizeContact(p({ subscriberid: '1' })).id, '1');
		assert.equal(normalizeContact(p({ SUBSCRIBERID: 2 })).id, '2');
		assert.equal(normalizeContact(p({ contact_id: '3', id: '4' })).id, '3');
		assert.equal(normalizeContact(p({ id: 5 })).id, '5');
		assert.equal(normalizeContact(p({ SubscriberID: '', id: '6' })).id, '6');
		assert.equal(normalizeContact(p({ SubscriberID: { a: 1 } })).id, undefined);
	});
	it('email from Email or EmailAddress; repeated values use the last non-empty one', () => {
		assert.equal(normalizeContact(p({ Email: 'A@B.DE' })).email, 'a@b.de');
		assert.equal(normalizeContact(p({ EmailAddress: ' X@Y.de' })).email, 'x@y.de');
		assert.equal(normalizeContact(p({ email: ['old@x.de', 'new@x.de', ''] })).email, 'new@x.de');
		assert.equal(normalizeContact(p({ email: '   ' })).email, undefined);
	});
	it('phone from PhoneNumber, CustomFieldPhone or smsnumber', () => {
		assert.equal(normalizeContact(p({ CustomFieldPhone: '+49 170 1234567' })).phone, '+491701234567');
		assert.equal(normalizeContact(p({ smsnumber: '0043 664 1234567' })).phone, '+436641234567');
		assert.equal(normalizeContact(p({})).phone, undefined);
		assert.deepEqual(normalizeContact(p({})), { fields: {} });
	});
});

describe('inbound normalize: phone (E.164)', () => {
	it('rewrites 00 and removes separators', () => {
		assert.equal(normalizePhone('0049170123456'), '+49170123456');
		assert.equal(normalizePhone('+49 (0)170 123-45 67'), '+491701234567');
		assert.equal(normalizePhone('+49/170.1234567'), '+491701234567');
		assert.equal(normalizePhone(' +1 (415) 555-2671 '), '+14155552671');
	});
	it('leaves numbers it cannot place unchanged (trimmed)', () => {
		assert.equal(normalizePhone('0170 1234567'), '0170 1234567');
		assert.equal(normalizePhone(' call me '), 'call me');
		assert.equal(normalizePhone('+0123456789'), '+0123456789');
		assert.equal(normalizePhone('+12345'), '+12345');
		assert.equal(normalizePhone('+1234567890123456'), '+1234567890123456');
	});
});

describe('inbound normalize: renamed parameters ("Parameter Names")', () => {
	const renames = [
		{ parameterName: 'vorname', contactField: 'firstName' as const },
		{ parameterName: 'Mail', contactField: 'email' as const },
		{ parameterName: 'tarif', contactField: 'field' as const, fieldName: 'tarif' },
		{ parameterName: 'kdnr', contactField: 'id' as const },
	];
	it('fills the contact from the mapped names (any letter case), before KlickTipp\'s defaults; lists what it did not use', () => {
		const params = p({ VORNAME: 'Jürgen', mail: ' Max@Example.de ', tarif: ['Silber', 'Gold'], kdnr: '77', CustomFieldFirstName: 'Default', source: 'kt', event: 'x' });
		const { contact, unused } = normalizeContactWithUse(params, renames, ['event']);
		assert.deepEqual(contact, { id: '77', email: 'max@example.de', firstName: 'Jürgen', fields: { fieldFirstName: 'Default', tarif: 'Gold' } });
		assert.deepEqual(unused, ['source']);
	});
	it('without mappings a renamed field is not lost silently: it is listed as unused', () => {
		const { contact, unused } = normalizeContactWithUse(p({ email: 'a@b.de', Vorname: 'Jürgen', SUBSCRIBERID: '1', CustomField1: 'x', phonenumber: '0049170123456', zip: '' }));
		assert.equal(contact.firstName, undefined);
		assert.deepEqual(unused, ['Vorname', 'zip']);
	});
	it('parseParameterNames: the entries, or the problem naming the entry', () => {
		assert.deepEqual(parseParameterNames(undefined), { ok: true, renames: [] });
		assert.deepEqual(parseParameterNames({}), { ok: true, renames: [] });
		assert.deepEqual(parseParameterNames({ mapping: [{ parameterName: ' vorname ', contactField: 'firstName', fieldName: 'ignored' }] }), {
			ok: true,
			renames: [{ parameterName: 'vorname', contactField: 'firstName' }],
		});
		const problems: Array<[unknown, RegExp]> = [
			[{ mapping: [{ parameterName: '', contactField: 'email' }] }, /^mapping 1 has no Parameter Name$/],
			[{ mapping: [{ parameterName: 'x', contactField: 'street' }] }, /^mapping 1 \("x"\) maps to the unknown contact field "street"$/],
			[{ mapping: [{ parameterName: 'tarif', contactField: 'field', fieldName: ' ' }] }, /custom field but has no Field Name/],
			[{ mapping: [{ parameterName: 'a', contactField: 'email' }, { parameterName: 'A', contactField: 'id' }] }, /^mapping 2 \("A"\): the Parameter Name is mapped twice$/],
			[{ mapping: 'x' }, /not a list/],
		];
		for (const [raw, problem] of problems) {
			const r = parseParameterNames(raw);
			assert.ok(!r.ok, JSON.stringify(raw));
			assert.match(r.problem, problem);
		}
	});
});
