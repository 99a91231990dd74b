import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { OutboundParameterError } from '../../nodes/core/outbound/errors';
import { expandPlaceholders, placeholderNames, PlaceholderError } from '../../nodes/core/outbound/placeholders';

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
