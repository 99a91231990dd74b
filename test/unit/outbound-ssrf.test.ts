import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { checkTarget, classifyAddress, classifyHostName, egressRefusal, parseIPv4, parseIPv6 } from '../../nodes/core/outbound/ssrf';
import type { EgressCheck } from '../../nodes/core/outbound/ssrf';

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

/** n8n's SsrfBlockedIpError as n8n >= 2.12 throws it (a UserError subclass; only its shape matters here). */
function n8nBlockedIp(ip: string, hostname?: string): Error {
	const target = hostname ? `'${hostname}' (${ip})` : ip;
	return Object.assign(new Error('The request was blocked because it resolves to a restricted IP address'), {
		name: 'SsrfBlockedIpError',
		description: `The target ${target} is not allowed. This is a security measure to prevent Server-Side Request Forgery (SSRF).`,
		ip,
		hostname,
	});
}

/** An egress check with n8n's semantics over a fixed host table: refusal as a result, lookup failure as a rejection. */
function egressOver(map: Record<string, string[]>): EgressCheck & { asked: string[] } {
	const asked: string[] = [];
	const check = (async (url: string) => {
		asked.push(url);
		const host = new URL(url).hostname;
		const addresses = map[host];
		if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
		const bad = addresses.find((a) => classifyAddress(a)?.blocked);
		return bad ? { ok: false as const, error: n8nBlockedIp(bad, host) } : { ok: true as const };
	}) as EgressCheck & { asked: string[] };
	check.asked = asked;
	return check;
}

describe('SSRF guard: checkTarget (no DNS of its own)', () => {
	const strict = { allowPrivateTargets: false, requireHttps: false };
	const open = { allowPrivateTargets: true, requireHttps: false };

	it('accepts a public host name without any lookup when the instance has no egress check', async () => {
		assert.deepEqual(await checkTarget('https://crm.example.com/x', strict), { ok: true });
		assert.deepEqual(await checkTarget('https://does-not-exist.invalid/x', strict), { ok: true }, 'no DNS here: n8n resolves it');
	});

	it('refuses localhost-style and metadata names itself, without DNS', async () => {
		for (const host of ['localhost', 'LOCALHOST', 'localhost.', 'app.localhost', 'localhost.localdomain', 'ip6-localhost', 'metadata.google.internal', 'Metadata.Google.Internal.', 'metadata', 'instance-data.ec2.internal', 'metadata.azure.internal']) {
			const egress = egressOver({});
			const v = await checkTarget(`http://${host}:8080/`, strict, egress);
			assert.equal(v.ok, false, host);
			assert.match((v as { reason: string }).reason, /^Refused to contact .*: (loopback \(localhost\)|cloud metadata service \(.+\)) addresses are blocked/);
			assert.deepEqual(egress.asked, [], 'refused before n8n is asked');
			assert.equal((await checkTarget(`http://${host}:8080/`, open)).ok, true, `${host} with allowPrivateTargets`);
		}
		for (const host of ['localhost.example.com', 'mylocalhost', 'metadata.example.com', 'crm.internal']) {
			assert.equal(classifyHostName(host), null, host);
		}
	});

	it('refuses literal addresses in every spelling the URL parser accepts, without asking n8n', async () => {
		for (const host of ['127.0.0.1', '2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '169.254.169.254', '[fd00:ec2::254]', '100.64.1.1', '[::]', '0.0.0.0']) {
			const egress = egressOver({});
			const v = await checkTarget(`http://${host}/hook`, strict, egress);
			assert.equal(v.ok, false, host);
			assert.deepEqual(egress.asked, [], host);
		}
	});

	it('host names are judged by n8n\'s egress check: its refusal is a refusal, naming host and address', async () => {
		const egress = egressOver({ 'crm.example.com': ['93.184.216.34'], 'intranet.example.com': ['93.184.216.34', '10.0.0.5'] });
		assert.deepEqual(await checkTarget('https://crm.example.com/x', strict, egress), { ok: true });
		const v = await checkTarget('https://intranet.example.com/x', strict, egress);
		assert.equal(v.ok, false);
		assert.match((v as { reason: string }).reason, /^Refused by n8n's SSRF protection \(N8N_SSRF_PROTECTION_ENABLED\) for intranet\.example\.com: The request was blocked .*'intranet\.example\.com' \(10\.0\.0\.5\)/);
		assert.deepEqual(egress.asked, ['https://crm.example.com/x', 'https://intranet.example.com/x']);
	});

	it('allowPrivateTargets lifts only our own checks: n8n\'s instance policy still applies', async () => {
		const egress = egressOver({ '127.0.0.1': ['127.0.0.1'] });
		const v = await checkTarget('http://127.0.0.1:9/', open, egress);
		assert.equal(v.ok, false);
		assert.match((v as { reason: string }).reason, /does not override the instance's policy.*N8N_SSRF_ALLOWED_IP_RANGES/);
		assert.equal((await checkTarget('http://127.0.0.1:9/', open)).ok, true);
		assert.equal((await checkTarget('file:///etc/passwd', open)).ok, false);
	});

	it('a failed lookup in n8n\'s check is not a refusal: checkTarget rejects with it (a network error, retried)', async () => {
		const egress = egressOver({});
		await assert.rejects(checkTarget('https://nope.example.com/', strict, egress), { code: 'ENOTFOUND' });
		const again: EgressCheck = async () => {
			throw Object.assign(new Error('getaddrinfo EAI_AGAIN crm.example.com'), { code: 'EAI_AGAIN' });
		};
		await assert.rejects(checkTarget('https://crm.example.com/', strict, again), { code: 'EAI_AGAIN' });
	});

	it('requireHttps refuses http', async () => {
		const v = await checkTarget('http://crm.example.com/', { allowPrivateTargets: false, requireHttps: true });
		assert.equal(v.ok, false);
		assert.match((v as { reason: string }).reason, /HTTPS is required/);
	});

	it('refuses userinfo, non-http schemes and bad URLs with a reason', async () => {
		assert.equal((await checkTarget('https://u:p@crm.example.com/', strict)).ok, false);
		assert.equal((await checkTarget('https://u:p@crm.example.com/', open)).ok, false);
		assert.equal((await checkTarget('not a url', strict)).ok, false);
		assert.equal((await checkTarget('gopher://crm.example.com/', strict)).ok, false);
	});
});

describe('SSRF guard: egressRefusal (n8n\'s refusals, wherever they are wrapped)', () => {
	it('recognises SsrfBlockedIpError / SsrfBlockedHostnameError, also as cause or in errors[]', () => {
		const ip = n8nBlockedIp('127.0.1.1', 'myhost');
		const host = Object.assign(new Error('The request was blocked because the destination hostname is restricted'), { name: 'SsrfBlockedHostnameError' });
		const axiosLike = Object.assign(new Error(ip.message), { name: 'AxiosError', code: 'ERR_BAD_REQUEST', cause: ip });
		const nested = Object.assign(new Error('request failed'), { cause: axiosLike });
		const aggregate = Object.assign(new Error('connect failed'), { errors: [new Error('x'), host] });
		for (const e of [ip, host, axiosLike, nested, aggregate]) assert.match(egressRefusal(e) ?? '', /^Refused by n8n's SSRF protection/, String(e));
		assert.match(egressRefusal(nested)!, /'myhost' \(127\.0\.1\.1\)/);
		assert.match(egressRefusal(ip, 'https://myhost:8443/x')!, /^Refused by n8n's SSRF protection \(N8N_SSRF_PROTECTION_ENABLED\) for myhost: The request was blocked because it resolves to a restricted IP address\. The target /);
		assert.doesNotMatch(egressRefusal(ip)!, /\.\./, 'no doubled full stops');
	});

	it('network errors are not refusals', () => {
		for (const e of [
			Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }),
			Object.assign(new Error('getaddrinfo EAI_AGAIN x'), { code: 'EAI_AGAIN' }),
			Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED', cause: new Error('inner') }),
			'a string',
			undefined,
		]) {
			assert.equal(egressRefusal(e), undefined, String(e));
		}
		const loop: { name: string; cause?: unknown } = { name: 'Error' };
		loop.cause = loop;
		assert.equal(egressRefusal(loop), undefined, 'a cause cycle ends');
	});
});
