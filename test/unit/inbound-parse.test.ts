import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import {
	looksLikeForm,
	MAX_PARAMS,
	NO_CONTENT_TYPE_FORM,
	NO_CONTENT_TYPE_JSON,
	parseContentType,
	parseJsonBody,
	parseRequest,
	parseUrlEncoded,
	paramsFromParsedObject,
	type ParamsResult,
	type ParseResult,
} from '../../nodes/core/inbound/parse';
import type { Params, Rejection } from '../../nodes/core/inbound/types';

const FORM = 'application/x-www-form-urlencoded';

function ok(result: ParseResult | ParamsResult): Params {
	if (!result.ok) assert.fail(`expected params, got ${JSON.stringify(result)}`);
	return result.params;
}
function rejected(result: ParseResult | ParamsResult, status: number, reason?: RegExp): Rejection {
	const r = result as Rejection;
	assert.equal(r.ok, false, `expected a rejection, got ${JSON.stringify(result)}`);
	assert.equal(r.status, status);
	assert.equal(typeof r.reason, 'string');
	assert.ok(r.reason.length > 0);
	if (reason) assert.match(r.reason, reason);
	return r;
}
const plain = (p: Params) => ({ ...p });

describe('inbound parse: content type', () => {
	it('splits type, charset and boundary', () => {
		assert.deepEqual(parseContentType('Multipart/Form-Data; boundary="abc def"; charset=UTF-8'), {
			type: 'multipart/form-data',
			boundary: 'abc def',
			charset: 'utf-8',
		});
		assert.equal(parseContentType(''), undefined);
		assert.equal(parseContentType(undefined), undefined);
		assert.equal(parseContentType(42), undefined);
	});
});

describe('inbound parse: form-urlencoded', () => {
	it('decodes UTF-8, + as space, and keeps umlauts', () => {
		const p = ok(parseUrlEncoded(Buffer.from('email=j%C3%BCrgen%40example.de&CustomFieldFirstName=J%C3%BCrgen+M%C3%BCller&x=a+b%2Bc')));
		assert.deepEqual(plain(p), { email: 'jürgen@example.de', CustomFieldFirstName: 'Jürgen Müller', x: 'a b+c' });
	});
	it('keeps raw UTF-8 bytes and literal % that is not an escape', () => {
		const p = ok(parseUrlEncoded(Buffer.from('name=Jürgen&rate=100%&pct=%zz')));
		assert.deepEqual(plain(p), { name: 'Jürgen', rate: '100%', pct: '%zz' });
	});
	it('collects duplicate keys into an array in order, keeps nested keys literally', () => {
		const p = ok(parseUrlEncoded('a=1&a=2&a=3&tags[]=x&tags[]=y&b[c]=1&empty=&flag'));
		assert.deepEqual(plain(p), { a: ['1', '2', '3'], 'tags[]': ['x', 'y'], 'b[c]': '1', empty: '', flag: '' });
	});
	it('gives a null-prototype map; constructor and toString are data', () => {
		const p = ok(parseUrlEncoded('constructor=x&toString=y&hasOwnProperty=z'));
		assert.equal(Object.getPrototypeOf(p), null);
		assert.equal(p.constructor, 'x');
		assert.equal(p.toString, 'y');
	});
	it('refuses __proto__, invalid UTF-8, a value without a name, too many parameters', () => {
		rejected(parseUrlEncoded('__proto__=1'), 400, /__proto__/);
		rejected(parseUrlEncoded('%5F%5Fproto%5F%5F=1'), 400, /__proto__/);
		assert.deepEqual(plain(ok(parseUrlEncoded('__proto__[polluted]=1'))), { '__proto__[polluted]': '1' });
		assert.equal(({} as Record<string, unknown>).polluted, undefined);
		rejected(parseUrlEncoded(Buffer.from('a=%C3%28')), 400, /"a" is not valid UTF-8/);
		rejected(parseUrlEncoded(Buffer.from([0x61, 0x3d, 0xff])), 400, /not valid UTF-8/);
		rejected(parseUrlEncoded('=value'), 400, /without a name/);
		const many = Array.from({ length: MAX_PARAMS + 1 }, (_, i) => `k${i}=v`).join('&');
		rejected(parseUrlEncoded(many), 400, /More than 1000/);
		assert.equal(Object.keys(ok(parseUrlEncoded(many.split('&').slice(0, MAX_PARAMS).join('&')))).length, MAX_PARAMS);
	});
	it('reads ISO-8859-1 when the charset says so, refuses unknown charsets with 415', () => {
		assert.deepEqual(plain(ok(parseUrlEncoded(Buffer.from('n=J%FCrgen'), 'iso-8859-1'))), { n: 'Jürgen' });
		rejected(parseUrlEncoded('a=1', 'shift_jis'), 415, /shift_jis/);
	});
	it('keeps control characters and huge values as data', () => {
		const huge = 'x'.repeat(1_000_000);
		const p = ok(parseUrlEncoded(`c=%00%01%1F&h=${huge}`));
		assert.equal(p.c, '\u0000\u0001\u001f');
		assert.equal((p.h as string).length, 1_000_000);
	});
});

describe('inbound parse: JSON', () => {
	it('accepts an object and keeps JSON values', () => {
		const p = ok(parseJsonBody(Buffer.from('\ufeff{"email":"a@b.de","n":5,"nested":{"x":[1,2]},"constructor":"c"}')));
		assert.deepEqual(plain(p), { email: 'a@b.de', n: 5, nested: { x: [1, 2] }, constructor: 'c' });
	});
	it('refuses arrays, scalars, null, malformed JSON, invalid UTF-8, __proto__ at any depth, deep nesting', () => {
		rejected(parseJsonBody(Buffer.from('[1,2]')), 400, /not an array/);
		rejected(parseJsonBody(Buffer.from('"text"')), 400, /not a string/);
		rejected(parseJsonBody(Buffer.from('42')), 400, /not a number/);
		rejected(parseJsonBody(Buffer.from('null')), 400, /not null/);
		rejected(parseJsonBody(Buffer.from('{"a":')), 400, /cannot be parsed/);
		rejected(parseJsonBody(Buffer.from([0x7b, 0xff, 0x7d])), 400, /UTF-8/);
		rejected(parseJsonBody(Buffer.from('{"a":{"__proto__":{"polluted":1}}}')), 400, /__proto__/);
		rejected(parseJsonBody(Buffer.from('{"a":' + '['.repeat(40) + ']'.repeat(40) + '}')), 400, /nested deeper/);
		assert.equal(({} as Record<string, unknown>).polluted, undefined);
	});
});

describe('inbound parse: pre-parsed objects (n8n / formidable)', () => {
	it('unwraps one-element arrays, keeps longer arrays, stringifies numbers', () => {
		assert.deepEqual(plain(ok(paramsFromParsedObject({ a: ['1'], b: ['1', '2'], n: 3, t: true }))), { a: '1', b: ['1', '2'], n: '3', t: 'true' });
		rejected(paramsFromParsedObject('text'), 400);
		rejected(paramsFromParsedObject(JSON.parse('{"__proto__":"x"}')), 400, /__proto__/);
	});
});

describe('inbound parse: whole requests', () => {
	it('GET: the query string of the URL', () => {
		const r = parseRequest({ method: 'GET', url: '/webhook/kt?email=max%40example.de&SubscriberID=42' });
		assert.equal(r.ok, true);
		assert.deepEqual(plain(ok(r)), { email: 'max@example.de', SubscriberID: '42' });
	});
	it('GET: falls back to the parsed query object', () => {
		assert.deepEqual(plain(ok(parseRequest({ method: 'get', query: { email: 'a@b.de' } }))), { email: 'a@b.de' });
	});
	it('POST form from the raw body (preferred over the pre-parsed body)', () => {
		const r = parseRequest({ method: 'POST', contentType: `${FORM}; charset=UTF-8`, rawBody: Buffer.from('email=a%40b.de&x=1'), body: { wrong: '1' } });
		assert.equal(r.ok && r.format, 'form');
		assert.equal(r.ok && r.contentType, FORM);
		assert.deepEqual(plain(ok(r)), { email: 'a@b.de', x: '1' });
	});
	it('POST form from the pre-parsed body when there is no raw body', () => {
		assert.deepEqual(plain(ok(parseRequest({ method: 'POST', contentType: FORM, body: { email: 'a@b.de', a: ['1', '2'] } }))), { email: 'a@b.de', a: ['1', '2'] });
	});
	it('POST multipart only from n8n\'s formidable result { data, files } (n8n keeps no raw multipart bytes)', () => {
		const ct = 'multipart/form-data; boundary=XYZ';
		assert.deepEqual(plain(ok(parseRequest({ method: 'POST', contentType: ct, body: { data: { email: ['a@b.de'], t: ['1', '2'] }, files: {} } }))), { email: 'a@b.de', t: ['1', '2'] });
		assert.deepEqual(plain(ok(parseRequest({ method: 'POST', contentType: ct, body: { email: 'flat@b.de' } }))), { email: 'flat@b.de' });
		const raw = Buffer.from('--XYZ\r\nContent-Disposition: form-data; name="email"\r\n\r\nraw@b.de\r\n--XYZ--\r\n');
		assert.deepEqual(plain(ok(parseRequest({ method: 'POST', contentType: ct, rawBody: raw, body: { data: { email: 'n8n@b.de' }, files: {} } }))), { email: 'n8n@b.de' });
	});
	it('POST JSON, also +json types; query and body merged with the body winning', () => {
		const r = parseRequest({ method: 'POST', url: '/w?src=kt&email=old%40x.de', contentType: 'application/json', rawBody: Buffer.from('{"email":"new@x.de"}') });
		assert.deepEqual(plain(ok(r)), { src: 'kt', email: 'new@x.de' });
		assert.deepEqual(r.ok && plain(r.query), { src: 'kt', email: 'old@x.de' });
		assert.deepEqual(r.ok && plain(r.body), { email: 'new@x.de' });
		assert.deepEqual(plain(ok(parseRequest({ method: 'POST', contentType: 'application/vnd.kt+json', rawBody: Buffer.from('{"a":1}') }))), { a: 1 });
		assert.deepEqual(plain(ok(parseRequest({ method: 'POST', contentType: 'application/json', body: { a: 'pre' } }))), { a: 'pre' });
	});
	it('POST with an empty body uses the query; with neither it is 400', () => {
		assert.deepEqual(plain(ok(parseRequest({ method: 'POST', url: '/w?email=a%40b.de', rawBody: Buffer.alloc(0) }))), { email: 'a@b.de' });
		rejected(parseRequest({ method: 'POST', url: '/w', contentType: FORM, rawBody: Buffer.alloc(0) }), 400, /No parameters/);
		rejected(parseRequest({ method: 'POST', contentType: 'multipart/form-data; boundary=x', body: { data: {}, files: {} } }), 400, /No parameters/);
		rejected(parseRequest({ method: 'GET', url: '/w' }), 400, /no query parameters/);
		rejected(parseRequest({ method: 'POST', contentType: 'application/json', rawBody: Buffer.from('{}') }), 400, /No parameters/);
	});
	it('415 for unsupported or missing content types, naming the type; 400 for other methods', () => {
		rejected(parseRequest({ method: 'POST', contentType: 'text/plain', rawBody: Buffer.from('hello') }), 415, /"text\/plain"/);
		rejected(parseRequest({ method: 'POST', contentType: 'application/xml', rawBody: Buffer.from('<a/>') }), 415, /application\/xml/);
		rejected(parseRequest({ method: 'POST', rawBody: Buffer.from('hello world') }), 415, /no Content-Type/);
		rejected(parseRequest({ method: 'PUT', url: '/w?a=1' }), 400, /PUT/);
		rejected(parseRequest({ method: 'POST', contentType: 'application/json', rawBody: Buffer.from('[{"email":"a@b.de"}]') }), 400, /array/);
	});
	it('no Content-Type: a form body is read as form and says so; query merged, body wins', () => {
		const raw = Buffer.from('email=j%C3%BCrgen%40example.de&SubscriberID=42&name=J%C3%BCrgen+M%C3%BCller&tag=a&tag=b');
		const r = parseRequest({ method: 'POST', url: '/w?src=kt&SubscriberID=1', rawBody: raw });
		assert.ok(r.ok, JSON.stringify(r));
		assert.equal(r.contentType, NO_CONTENT_TYPE_FORM);
		assert.equal(r.format, 'form');
		assert.deepEqual(plain(r.params), { src: 'kt', SubscriberID: '42', email: 'jürgen@example.de', name: 'Jürgen Müller', tag: ['a', 'b'] });
		// exactly what the same bytes give with the Content-Type
		const typed = parseRequest({ method: 'POST', url: '/w?src=kt&SubscriberID=1', contentType: FORM, rawBody: raw });
		assert.deepEqual(typed.ok && plain(typed.params), plain(r.params));
		assert.equal(typed.ok && typed.contentType, FORM);
		// raw UTF-8, URL characters, empty values and empty pairs are still form
		const loose = parseRequest({ method: 'POST', rawBody: Buffer.from("email=a@b.de&name=Jürgen&u=https://x.de/a?b=(1),[2];'3'!*~$&&empty=") });
		assert.ok(loose.ok, JSON.stringify(loose));
		assert.equal(loose.contentType, NO_CONTENT_TYPE_FORM);
		assert.deepEqual(plain(loose.params), { email: 'a@b.de', name: 'Jürgen', u: "https://x.de/a?b=(1),[2];'3'!*~$", empty: '' });
		// form-like but not UTF-8 after decoding: the usual 400 of form data
		rejected(parseRequest({ method: 'POST', rawBody: Buffer.from('name=J%FCrgen') }), 400, /not valid UTF-8/);
	});
	it('no Content-Type: a JSON object is read as JSON and says so (BOM and leading whitespace allowed)', () => {
		const r = parseRequest({ method: 'POST', rawBody: Buffer.from('\uFEFF \n {"email":"a@b.de","SubscriberID":7,"tags":["x"]}') });
		assert.ok(r.ok, JSON.stringify(r));
		assert.equal(r.contentType, NO_CONTENT_TYPE_JSON);
		assert.equal(r.format, 'json');
		assert.deepEqual(plain(r.params), { email: 'a@b.de', SubscriberID: 7, tags: ['x'] });
		rejected(parseRequest({ method: 'POST', rawBody: Buffer.from('{"__proto__":{"x":1}}') }), 400, /__proto__/);
		rejected(parseRequest({ method: 'POST', rawBody: Buffer.from('{}') }), 400, /No parameters/);
	});
	it('no Content-Type: anything else keeps its 415 with the reason', () => {
		const bodies = [
			'hello world', // free text
			'hello', // a bare word is not a key=value pair
			'a=1&flag', // a pair without "="
			'=1', // empty name
			'a=1 b=2', // whitespace
			'a=1\n', // a trailing newline is not form-encoded
			'a="1"', // quotes
			'a=100%', // a % that is no escape
			'a=%zz',
			'a=<b>',
			'a={1}',
			'&&&', // no pair at all
			'[{"email":"a@b.de"}]', // JSON, but an array
			'{"email": ', // broken JSON
			'"email=a@b.de"',
			'<xml email="a@b.de"/>',
			'{\xff}',
		];
		for (const body of bodies) {
			const raw = Buffer.from(body, body.includes('\xff') ? 'latin1' : 'utf8');
			rejected(parseRequest({ method: 'POST', rawBody: raw }), 415, /no Content-Type, and the body is neither form data nor a JSON object/);
		}
		rejected(parseRequest({ method: 'POST', rawBody: Buffer.from([0x00, 0x01, 0x3d, 0x02]) }), 415);
		// without the raw bytes nothing can be read safely
		rejected(parseRequest({ method: 'POST', body: { email: 'a@b.de' } }), 415, /no Content-Type/);
	});
	it('looksLikeForm decides on bytes', () => {
		assert.equal(looksLikeForm(Buffer.from('a=1')), true);
		assert.equal(looksLikeForm(Buffer.from('a=&b=')), true);
		assert.equal(looksLikeForm(Buffer.from('a=1&')), true);
		assert.equal(looksLikeForm(Buffer.from('a%3D=1%26')), true);
		assert.equal(looksLikeForm(Buffer.from('a=1&b')), false);
		assert.equal(looksLikeForm(Buffer.from('a')), false);
		assert.equal(looksLikeForm(Buffer.from('a=1%2')), false);
		assert.equal(looksLikeForm(Buffer.from('a=1\t')), false);
		assert.equal(looksLikeForm(Buffer.alloc(0)), false);
	});
	it('never throws on odd input', () => {
		const odd: unknown[] = [undefined, null, 0, 'x', [], {}, { method: 'POST' }, { method: 'POST', contentType: 'application/json', body: 5 }, { method: 'POST', contentType: FORM, body: 'a=1' }, { method: 'POST', contentType: 'multipart/form-data', body: { data: 'x' } }];
		for (const input of odd) {
			const r = parseRequest(input as never);
			assert.ok(r.ok === true || [400, 415].includes((r as Rejection).status), JSON.stringify(input));
		}
	});
});
