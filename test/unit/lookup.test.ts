import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { headerValue, valueByName } from '../../nodes/core/lookup';

describe('lookup: by name, ignoring case', () => {
	it('takes the exact key first, else the first key equal ignoring case', () => {
		assert.equal(valueByName({ Email: 'a', email: 'b' }, 'email'), 'b');
		assert.equal(valueByName({ Email: 'a' }, 'EMAIL'), 'a');
		assert.equal(valueByName({ a: 1 }, 'b'), undefined);
		assert.equal(valueByName(undefined, 'b'), undefined);
		assert.equal(valueByName({}, 'constructor'), undefined, 'own properties only');
	});
	it('a header sent twice gives its first value', () => {
		assert.equal(headerValue({ 'Webhook-Id': ['msg_1', 'msg_2'] }, 'webhook-id'), 'msg_1');
		assert.equal(headerValue({ 'X-Api-Key': 'k' }, 'x-api-key'), 'k');
		assert.equal(headerValue(undefined, 'x'), undefined);
	});
});
