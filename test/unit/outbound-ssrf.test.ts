import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { checkTarget, classifyAddress, parseIPv4, parseIPv6 } from '../../nodes/core/outbound/ssrf';
import type { Resolver } from '../../nodes/core/outbound/ssrf';
import { cachingResolver } from '../../nodes/core/outbound/resolver';

/** Every blocked class, spelled every way. */
const BLOCKED: Array<[string, RegExp]> = [
	['127.0.0.1', /loopback/],
	['127.255.255.254', /loopback/],
	['2130706433', /loopback/], // decimal
	['0x7f000001', /loopback/], // hex
	['0x7f.0.0.1', /loopback/],
	['0177.0.0.1', /loopback/], // octal
	['0177.0000.0000.0001', /loopback/],
	['127.1', /loopback/], // short
	['127.0.1', /loopback/],
	['0.0.0.0', /this network/],
	['0', /this network/],
	['10.0.0.1', /RFC 1918/],
	['012.0.0.1', /RFC 1918/], // octal 10
	['172.16.0.1', /RFC 1918/],
	['172.31.255.255', /RFC 1918/],
	['192.168.1.1', /RFC 1918/],
	['3232235777', /RFC 1918/], // 192.168.1.1 as decimal
	['169.254.169.254', /metadata/],
	['0xa9fea9fe', /metadata/],
	['2852039166', /metadata/],
	['169.254.1.1', /link-local/],
	['100.64.0.1', /carrier-grade NAT/],
	['100.127.255.255', /carrier-grade NAT/],
	['224.0.0.1', /multicast/],
	['255.255.255.255', /reserved/],
	['::1', /loopback/],
	['[::1]', /loopback/],
	['0:0:0:0:0:0:0:1', /loopback/],
	['::', /unspecified/],
	['::ffff:127.0.0.1', /loopback.*IPv4-mapped/],
	['::ffff:7f00:1', /loopback.*IPv4-mapped/], // hex form of the above
	['[::ffff:7f00:1]', /loopback/],
	['0:0:0:0:0:ffff:7f00:0001', /loopback/],
	['::ffff:169.254.169.254', /metadata/],
	['::ffff:a9fe:a9fe', /metadata/],
	['::ffff:10.1.2.3', /RFC 1918/],
	['::127.0.0.1', /loopback.*IPv4-compatible/],
	['64:ff9b::7f00:1', /loopback.*NAT64/],
	['2002:7f00:1::', /loopback.*6to4/],
	['fd00:ec2::254', /metadata/],
	['fd12:3456::1', /unique-local/],
	['fc00::1', /unique-local/],
	['fe80::1', /link-local/],
	['fe80::1%eth0', /link-local/],
	['ff02::1', /multicast/],
];

const PUBLIC = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '172.15.255.255', '100.128.0.1', '169.255.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2a00:1450:4001:82b::200e'];

describe('SSRF guard: classifyAddress', () => {
	for (const [address, range] of BLOCKED) {
		it(`blocks ${address}`, () => {
			const c = classifyAddress(address);
			assert.ok(c, `${address} must parse as an address`);
			assert.equal(c.blocked, true);
			assert.match(c.range, range);
		});
	}
	it('allows public addresses', () => {
		for (const address of PUBLIC) assert.equal(classifyAddress(address)?.blocked, false, address);
	});
	it('returns null for host names and junk', () => {
		for (const host of ['crm.example.com', 'localhost', '1.2.3.4.5', '256.1.1.1', '0x', ':::', '1::2::3', 'fe80::zz', '']) {
			if (host === '0x') continue; // inet_aton accepts "0x" as 0; covered by "0"
			assert.equal(classifyAddress(host), null, host);
		}
	});
	it('parses spellings the way the WHATWG URL parser does', () => {
		for (const spelling of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.1']) {
			assert.deepEqual(parseIPv4(spelling), [127, 0, 0, 1]);
			assert.equal(new URL(`http://${spelling}/`).hostname, '127.0.0.1');
		}
		assert.equal(parseIPv4('4294967296'), null);
		assert.equal(parseIPv4('1.2.3.256'), null);
		assert.deepEqual(parseIPv6('::ffff:127.0.0.1'), parseIPv6('::ffff:7f00:1'));
		assert.equal(parseIPv6('1:2:3:4:5:6:7:8:9'), null);
	});
});

describe('SSRF guard: checkTarget', () => {
	const resolver = (map: Record<string, string[]>): Resolver => async (host) => {
		if (!(host in map)) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
		return map[host].map((address) => ({ address }));
	};
	const dns = resolver({
		'crm.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
		'localhost': ['127.0.0.1', '::1'],
		'rebind.example.com': ['93.184.216.34', '10.0.0.5'],
		'metadata.example.com': ['fd00:ec2::254'],
	});
	const strict = { allowPrivateTargets: false, requireHttps: false };

	it('accepts a public host', async () => {
		assert.deepEqual(await checkTarget('https://crm.example.com/x', strict, dns), { ok: true, addresses: ['93.184.216.34', '2606:2800:220:1::1'] });
	});

	it('refuses a host when any of its addresses is private', async () => {
		for (const url of ['http://localhost:8080/', 'https://rebind.example.com/', 'http://metadata.example.com/latest']) {
			const v = await checkTarget(url, strict, dns);
			assert.equal(v.ok, false, url);
			assert.match((v as { reason: string }).reason, /Refused to contact .*server-side request forgery/);
		}
	});

	it('refuses literal addresses in every spelling the URL parser accepts', async () => {
		for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '169.254.169.254', '[fd00:ec2::254]', '100.64.1.1', '[::]', '0.0.0.0']) {
			const v = await checkTarget(`http://${host}/hook`, strict, dns);
			assert.equal(v.ok, false, host);
		}
	});

	it('allowPrivateTargets lets everything through (still http(s) only)', async () => {
		const open = { allowPrivateTargets: true, requireHttps: false };
		assert.equal((await checkTarget('http://127.0.0.1:9/', open, dns)).ok, true);
		assert.equal((await checkTarget('file:///etc/passwd', open, dns)).ok, false);
	});

	it('requireHttps refuses http', async () => {
		const v = await checkTarget('http://crm.example.com/', { allowPrivateTargets: false, requireHttps: true }, dns);
		assert.equal(v.ok, false);
		assert.match((v as { reason: string }).reason, /HTTPS is required/);
	});

	it('refuses unresolvable hosts, userinfo and bad URLs with a reason', async () => {
		assert.match(((await checkTarget('https://nope.invalid/', strict, dns)) as { reason: string }).reason, /ENOTFOUND/);
		assert.equal((await checkTarget('https://u:p@crm.example.com/', strict, dns)).ok, false);
		assert.equal((await checkTarget('not a url', strict, dns)).ok, false);
		assert.equal((await checkTarget('gopher://crm.example.com/', strict, dns)).ok, false);
	});

	it('the caching resolver looks a host up once, but not failures', async () => {
		let calls = 0;
		let fail = true;
		const inner: Resolver = async () => {
			calls++;
			if (fail) throw Object.assign(new Error('x'), { code: 'EAI_AGAIN' });
			return [{ address: '93.184.216.34' }];
		};
		let t = 0;
		const cached = cachingResolver(inner, () => t, 1000);
		await assert.rejects(cached('a.example'));
		await new Promise((r) => setImmediate(r));
		fail = false;
		await cached('a.example');
		await cached('A.example');
		assert.equal(calls, 2);
		t = 2000;
		await cached('a.example');
		assert.equal(calls, 3);
	});
});
