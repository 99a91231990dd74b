import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { ipAllowed, parseAllowlist, parseIp, parseRange } from '../../nodes/core/inbound/ip-allowlist';

const list = (text: string) => {
	const parsed = parseAllowlist(text);
	assert.ok(parsed.ok, parsed.ok ? '' : parsed.problem);
	return parsed.ranges;
};

describe('inbound IP allowlist: parsing addresses', () => {
	it('IPv4, IPv6 (compressed, full, IPv4 tail, zone, brackets); IPv4-mapped IPv6 as IPv4', () => {
		assert.deepEqual(parseIp('203.0.113.7'), { version: 4, value: 0xcb007107n });
		assert.deepEqual(parseIp('::ffff:203.0.113.7'), { version: 4, value: 0xcb007107n });
		assert.deepEqual(parseIp('::FFFF:cb00:7107'), { version: 4, value: 0xcb007107n });
		assert.deepEqual(parseIp('2001:db8::1'), { version: 6, value: 0x20010db8000000000000000000000001n });
		assert.deepEqual(parseIp('2001:0db8:0000:0000:0000:0000:0000:0001'), parseIp('2001:db8::1'));
		assert.deepEqual(parseIp('[fe80::1%eth0]'), { version: 6, value: 0xfe800000000000000000000000000001n });
		assert.deepEqual(parseIp('::'), { version: 6, value: 0n });
		assert.deepEqual(parseIp('::1'), { version: 6, value: 1n });
		assert.deepEqual(parseIp('64:ff9b::192.0.2.33'), { version: 6, value: 0x0064ff9b0000000000000000c0000221n });
	});
	it('refuses everything else', () => {
		for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '01234.1.1.1', '010.1.1.1', '1.02.3.4', 'a.b.c.d', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', ':1::', 'g::1', '1:2:3:4:5:6:7::8', 'localhost', '1.2.3.4/']) {
			assert.equal(parseIp(bad), undefined, bad);
		}
	});
	it('ranges: host bits ignored, prefix checked, IPv4-mapped ranges as IPv4', () => {
		assert.deepEqual(parseRange('10.1.2.3/8'), { version: 4, value: 0x0a000000n, prefix: 8 });
		assert.deepEqual(parseRange('::ffff:192.0.2.0/120'), { version: 4, value: 0xc0000200n, prefix: 24 });
		assert.deepEqual(parseRange('2001:db8::/32'), { version: 6, value: 0x20010db8000000000000000000000000n, prefix: 32 });
		assert.deepEqual(parseRange('0.0.0.0/0'), { version: 4, value: 0n, prefix: 0 });
		for (const bad of ['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/x', '10.0.0.0/', '::ffff:1.2.3.4/95', '10.0.0.0/8/8']) assert.equal(parseRange(bad), undefined, bad);
	});
});

describe('inbound IP allowlist: the list and the decision', () => {
	it('empty allows everyone; entries separated by commas, semicolons, spaces or lines', () => {
		assert.equal(ipAllowed(list(''), '198.51.100.1'), true);
		assert.equal(ipAllowed(list(' '), undefined), true);
		assert.equal(list('203.0.113.7, 198.51.100.0/24;2001:db8::/32\n10.0.0.1').length, 4);
	});
	it('addresses and CIDR ranges, IPv4 and IPv6, mapped addresses both ways', () => {
		const ranges = list('203.0.113.7, 198.51.100.0/24, 2001:db8::/32, ::ffff:192.0.2.0/120');
		for (const ok of ['203.0.113.7', '::ffff:203.0.113.7', '198.51.100.0', '198.51.100.255', '2001:db8:ffff::1', '192.0.2.77', '::ffff:192.0.2.77']) {
			assert.equal(ipAllowed(ranges, ok), true, ok);
		}
		for (const no of ['203.0.113.8', '198.51.101.0', '2001:db9::1', '::203.0.113.7', '192.0.3.1', 'not-an-ip', '', undefined]) {
			assert.equal(ipAllowed(ranges, no), false, String(no));
		}
	});
	it('as n8n\'s Webhook node: the client address, or one of the forwarded addresses the proxy setting trusts', () => {
		const ranges = list('203.0.113.7');
		assert.equal(ipAllowed(ranges, '10.0.0.2', ['203.0.113.7', '10.0.0.2']), true);
		assert.equal(ipAllowed(ranges, '10.0.0.2', ['198.51.100.1']), false);
		assert.equal(ipAllowed(ranges, '10.0.0.2', []), false);
	});
	it('an invalid entry is a problem naming it, never skipped', () => {
		assert.deepEqual(parseAllowlist('203.0.113.7, 203.0.113.300'), {
			ok: false,
			problem: '"203.0.113.300" is not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/32)',
		});
		assert.equal(parseAllowlist('example.com').ok, false);
		assert.equal(parseAllowlist(42).ok, false);
		assert.deepEqual(parseAllowlist(undefined), { ok: true, ranges: [] });
	});
});
