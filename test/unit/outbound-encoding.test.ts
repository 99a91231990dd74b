import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { appendQuery, encodeRequest, formEncode, hasBody, OUTBOUND_METHODS } from '../../nodes/core/outbound/encoding';

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

	it('the body rule: POST, PUT and PATCH send a body in the format; GET and DELETE send the parameters in the query, no body', () => {
		assert.deepEqual(OUTBOUND_METHODS.filter(hasBody), ['POST', 'PUT', 'PATCH']);
		for (const method of ['PUT', 'PATCH'] as const) {
			const json = encodeRequest(method, 'json', 'https://crm.example.com/contacts/7', params);
			assert.deepEqual(json, { ...encodeRequest('POST', 'json', 'https://crm.example.com/contacts/7', params), method }, `${method} json like POST`);
			const form = encodeRequest(method, 'form', 'https://crm.example.com/contacts/7', params);
			assert.deepEqual(form, { ...encodeRequest('POST', 'form', 'https://crm.example.com/contacts/7', params), method }, `${method} form like POST`);
		}
		const del = encodeRequest('DELETE', 'json', 'https://crm.example.com/contacts/7?hard=1', [['contact_id', '7']]);
		assert.deepEqual(del, { method: 'DELETE', url: 'https://crm.example.com/contacts/7?hard=1&contact_id=7', body: null, contentType: null });
		assert.deepEqual(encodeRequest('DELETE', 'form', 'https://x/c/7', []), { method: 'DELETE', url: 'https://x/c/7', body: null, contentType: null });
	});
});
