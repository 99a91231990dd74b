import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { mapItem } from '../../nodes/core/outbound/mapping';
import type { MappingConfig } from '../../nodes/core/outbound/mapping';
import { testMapping, testContactItem } from '../../nodes/core/outbound/test-contact';

const base: MappingConfig = { sendEmail: true, emailParameterName: 'email', fields: [], staticValues: [] };

describe('outbound test contact', () => {
	it('sendTest mapping: contact 12345, defaults for every field', () => {
		const m = testMapping({ ...base, fields: [{ value: 'real', parameterName: 'first', defaultValue: 'Max' }, { value: 'x', parameterName: 'city' }] });
		const params = mapItem(testContactItem(), m);
		assert.deepEqual(params, [['email', 'test@example.com'], ['first', 'Max'], ['city', ''], ['SubscriberID', '12345']]);
		const withId = testMapping({ ...base, fields: [{ value: '{{x}}', parameterName: 'contact_id' }] });
		assert.deepEqual(mapItem(testContactItem(), withId), [['email', 'test@example.com'], ['contact_id', '12345']]);
	});
});
