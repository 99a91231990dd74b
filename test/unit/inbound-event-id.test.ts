import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { computeEventId, stripSecrets } from '../../nodes/core/inbound/event-id';
import { MASK } from '../../nodes/core/secrets';
import { emptyParams, type Params } from '../../nodes/core/inbound/types';

const p = (o: Record<string, unknown>): Params => Object.assign(emptyParams(), o);

describe('inbound event id', () => {
	it('is stable for the same parameters in any order and differs otherwise', () => {
		const a = computeEventId(p({ email: 'a@b.de', SubscriberID: '1', tags: ['x', 'y'] }));
		assert.match(a, /^evt_[0-9a-f]{32}$/);
		assert.equal(a, computeEventId(p({ tags: ['x', 'y'], SubscriberID: '1', email: 'a@b.de' })));
		assert.notEqual(a, computeEventId(p({ email: 'a@b.de', SubscriberID: '2', tags: ['x', 'y'] })));
		assert.notEqual(a, computeEventId(p({ email: 'a@b.de', SubscriberID: '1', tags: ['y', 'x'] })));
		assert.notEqual(computeEventId(p({ n: 1 })), computeEventId(p({ n: '1' })));
		assert.equal(computeEventId(p({ o: { b: 1, a: 2 } })), computeEventId(p({ o: { a: 2, b: 1 } })));
	});
	it('uses the webhook-id when the request was signed', () => {
		assert.equal(computeEventId(p({ a: '1' }), 'msg_42'), 'msg_42');
		assert.match(computeEventId(p({ a: '1' }), ''), /^evt_/);
	});
});

describe('inbound stripSecrets', () => {
	const secrets = ['s3cret-api-key', 'hunter2-password'];
	it('removes the API key parameter (any case), Authorization, and parameters holding a secret', () => {
		const out = stripSecrets(
			p({ email: 'a@b.de', apiKey: 'whatever', APIKEY: 'x', Authorization: 'token', pw: 'hunter2-password', list: ['a', 's3cret-api-key'], token: ' s3cret-api-key ' }),
			{ keyName: 'apiKey', secrets },
		);
		assert.deepEqual({ ...out }, { email: 'a@b.de' });
		assert.equal(Object.getPrototypeOf(out), null);
	});
	it('masks secrets embedded in other values and nested JSON', () => {
		const out = stripSecrets(p({ note: 'key=s3cret-api-key;', nested: { deep: ['x hunter2-password y'] } }), { secrets });
		assert.deepEqual({ ...out }, { note: `key=${MASK};`, nested: { deep: [`x ${MASK} y`] } });
		assert.ok(!JSON.stringify(out).includes('s3cret'));
	});
	it('keeps everything else when there are no secrets', () => {
		assert.deepEqual({ ...stripSecrets(p({ a: '1', apiKey: 'k' }), { secrets: [] }) }, { a: '1', apiKey: 'k' });
	});
});
