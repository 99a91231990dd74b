import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { classifyEvent, isTestEvent, paramByName } from '../../nodes/core/inbound/classify';
import { emptyParams, type Params } from '../../nodes/core/inbound/types';

const p = (o: Record<string, unknown>): Params => Object.assign(emptyParams(), o);

describe('inbound classify', () => {
	it('takes contactData and deletionRequest as configured', () => {
		assert.equal(classifyEvent(p({ event: 'deletion' }), 'contactData'), 'contactData');
		assert.equal(classifyEvent(p({}), 'deletionRequest'), 'deletionRequest');
		// a dedicated deletion trigger: no marker (missing, misspelled, contradicting) can make it contact data
		for (const event of ['contact', 'deletoin', '', 'contactData']) assert.equal(classifyEvent(p({ event }), 'deletionRequest'), 'deletionRequest', event);
		assert.equal(classifyEvent(p({}), 'somethingElse'), 'contactData');
	});
	it('auto: deletion / delete / deletion_request in any case and with spaces', () => {
		for (const v of ['deletion', 'DELETE', ' Deletion_Request ', 'deletion-request']) {
			assert.equal(classifyEvent(p({ event: v }), 'auto'), 'deletionRequest', v);
		}
		for (const v of ['contact', 'deleted', '', 'deletion please']) assert.equal(classifyEvent(p({ event: v }), 'auto'), 'contactData', v);
		assert.equal(classifyEvent(p({}), 'auto'), 'contactData');
		assert.equal(classifyEvent(p({ event: { x: 1 } }), 'auto'), 'contactData');
	});
	it('auto: a custom event parameter, matched exactly first then case-insensitively; arrays use the last value', () => {
		assert.equal(classifyEvent(p({ kind: 'delete' }), 'auto', 'kind'), 'deletionRequest');
		assert.equal(classifyEvent(p({ Kind: 'delete' }), 'auto', 'kind'), 'deletionRequest');
		assert.equal(classifyEvent(p({ kind: 'delete', event: 'x' }), 'auto', ''), 'contactData');
		assert.equal(classifyEvent(p({ event: ['contact', 'deletion'] }), 'auto'), 'deletionRequest');
		assert.equal(paramByName(p({ Event: 'a', event: 'b' }), 'event'), 'b');
	});
	it('detects the "Save and test" contact 12345', () => {
		assert.equal(isTestEvent('12345'), true);
		assert.equal(isTestEvent('123456'), false);
		assert.equal(isTestEvent(undefined), false);
	});
});
