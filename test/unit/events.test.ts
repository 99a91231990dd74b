import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { classifyEvent } from '../../nodes/core/inbound/classify';
import { eventOf } from '../../nodes/core/outbound/build';
import { DELETION_VALUES, eventKindOf } from '../../nodes/core/events';
import { emptyParams } from '../../nodes/core/inbound/types';

describe('events: one list of deletion aliases for both nodes', () => {
	const aliases = ['deletion', 'delete', 'deletion_request', 'deletion-request', 'deletionrequest'];
	it('every alias, in any case and with spaces, is a deletion request', () => {
		assert.deepEqual([...DELETION_VALUES].sort(), [...aliases].sort());
		for (const alias of aliases) {
			for (const spelling of [alias, alias.toUpperCase(), ` ${alias} `, 'deletionRequest']) {
				assert.equal(eventKindOf(spelling), 'deletionRequest', spelling);
			}
		}
	});
	it('anything else is contact data', () => {
		for (const other of ['contactData', 'deleted', 'remove', '', undefined, 1, ['delete']]) assert.equal(eventKindOf(other), 'contactData');
	});
	it('the trigger and the action node agree on every alias', () => {
		for (const alias of aliases) {
			const params = emptyParams();
			params.event = alias;
			assert.equal(classifyEvent(params, 'auto'), 'deletionRequest', `trigger: ${alias}`);
			assert.equal(eventOf({ event: alias }), 'deletionRequest', `action node: ${alias}`);
		}
	});
});
