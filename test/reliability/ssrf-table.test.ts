/**
 * SSRF table: every blocked address class, spelled every way, refused by default.
 *
 * (a) The core guard (`checkTarget` / `classifyAddress`): for each blocked class a table row with canonical
 *     addresses; every spelling the WHATWG URL parser accepts is generated from them (dotted, one decimal
 *     integer, hex, octal, mixed, short forms, trailing dot, full-width digits, ideographic dots, percent-encoded,
 *     IPv6 with every zero compression, padded, uppercase, dotted tails, IPv4 embedded in IPv4-mapped,
 *     -translated, -compatible, NAT64 and 6to4 addresses) and checked: refused by default with a reason naming
 *     the class, allowed with allowPrivateTargets, and never handed to n8n's egress check (a recording double here).
 *     Addresses just outside each range are allowed. The guard does no DNS: the cases that needed a resolver (a host
 *     name resolving into a blocked class, mixed answers, odd resolver spellings, a redirect to such a name, a name
 *     that does not resolve) are judged by n8n's own SSRF protection; test/e2e/ssrf.test.ts runs them on a real
 *     n8n with it switched on, with this machine's own host name (which resolves to a blocked address here).
 * (b) The real node (n8n-core WorkflowExecute) against a real receiver on 127.0.0.1: every loopback spelling
 *     of the receiver is refused by default (the receiver sees nothing) and delivers with allowPrivateTargets;
 *     localhost-style names are refused by name; redirects to private addresses are refused hop by hop.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'dns';
import { createServer, type Server } from 'http';
import { connect } from 'net';
import type { AddressInfo } from 'net';

import { checkTarget, classifyAddress, type EgressCheck, type TargetVerdict } from '../../nodes/core/outbound/ssrf';
import { runOutbound, type RunResult } from '../helpers/execute-harness';
import { startReceiver, type Receiver } from '../helpers/receiver';

const STRICT = { allowPrivateTargets: false, requireHttps: false };
const OPEN = { allowPrivateTargets: true, requireHttps: false };

// ---------- spelling generators ----------

const v4bytes = (dotted: string) => dotted.split('.').map(Number);
const int32 = (b: number[]) => ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
const hex = (n: number) => n.toString(16);
const oct = (n: number) => `0${n.toString(8)}`;
const fullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));

/** Every host spelling of an IPv4 address the WHATWG URL parser (and inet_aton) accepts. */
function v4Spellings(dotted: string): string[] {
	const b = v4bytes(dotted);
	const n = int32(b);
	const low24 = (b[1] << 16) + (b[2] << 8) + b[3];
	const low16 = (b[2] << 8) + b[3];
	return [
		dotted,
		`${dotted}.`, // trailing dot
		String(n), // one decimal integer: http://2130706433/
		`0x${hex(n)}`,
		`0X${hex(n).toUpperCase()}`,
		`0x${hex(n).padStart(8, '0')}`,
		oct(n), // one octal integer
		b.map((x) => `0x${hex(x)}`).join('.'), // 0x7f.0x0.0x0.0x1
		b.map((x) => `0x${hex(x).padStart(2, '0')}`).join('.'),
		b.map(oct).join('.'), // 0177.00.00.01
		b.map((x) => `0${x.toString(8).padStart(4, '0')}`).join('.'), // 0177.0000.0000.0001
		`0x${hex(b[0])}.${b[1]}.${oct(b[2])}.${b[3]}`, // mixed
		`${b[0]}.${b[1]}.${low16}`, // 127.0.1
		`${b[0]}.${low24}`, // 127.1
		`0x${hex(b[0])}.${low24}`, // 0x7f.1
		`${oct(b[0])}.0x${hex(low24)}`,
		fullWidth(dotted), // １２７.０.０.１
		b.join('\u3002'), // ideographic full stop 。
		b.join('\uff0e'), // full-width full stop ．
		b.map((x) => [...String(x)].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')).join('.'), // %31%32%37.0.0.1
		`${dotted.toUpperCase()}`,
	];
}

/** The IPv6 addresses that carry an IPv4 address; each is classified by the IPv4 address inside. */
function embeddedSpellings(dotted: string): Array<[spelling: string, via: string]> {
	const b = v4bytes(dotted);
	const hi = hex((b[0] << 8) | b[1]);
	const lo = hex((b[2] << 8) | b[3]);
	const rows: Array<[string, string]> = [
		[`[::ffff:${dotted}]`, 'IPv4-mapped IPv6'],
		[`[::FFFF:${dotted}]`, 'IPv4-mapped IPv6'],
		[`[::ffff:${hi}:${lo}]`, 'IPv4-mapped IPv6'], // hex form
		[`[0:0:0:0:0:ffff:${hi}:${lo}]`, 'IPv4-mapped IPv6'],
		[`[0000:0000:0000:0000:0000:FFFF:${hi.padStart(4, '0')}:${lo.padStart(4, '0')}]`, 'IPv4-mapped IPv6'],
		[`[::ffff:0:${dotted}]`, 'IPv4-translated IPv6'],
		[`[64:ff9b::${dotted}]`, 'NAT64'],
		[`[64:ff9b::${hi}:${lo}]`, 'NAT64'],
		[`[0064:FF9B:0:0:0:0:${hi}:${lo}]`, 'NAT64'],
		[`[2002:${hi}:${lo}::]`, '6to4'],
		[`[2002:${hi}:${lo}:1::1]`, '6to4'],
		[`[2002:${hi.toUpperCase()}:${lo.toUpperCase()}:ffff:ffff:ffff:ffff:ffff]`, '6to4'],
	];
	// ::a.b.c.d (IPv4-compatible) is ambiguous for 0.0.0.0/8 (::1 is loopback, :: unspecified).
	if (b[0] !== 0) rows.push([`[::${dotted}]`, 'IPv4-compatible IPv6'], [`[::${hi}:${lo}]`, 'IPv4-compatible IPv6']);
	return rows;
}

/** 8 groups of an IPv6 address in canonical text (the WHATWG parser's output, without brackets). */
function groupsOf(address: string): number[] {
	const u = new URL(`http://[${address}]/`).hostname.slice(1, -1);
	const [l, r] = u.includes('::') ? u.split('::') : [u, null];
	const left = l ? l.split(':').map((g) => parseInt(g, 16)) : [];
	const right = r ? r.split(':').map((g) => parseInt(g, 16)) : [];
	return r === null ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Every text form of an IPv6 address: each possible zero compression, padded, upper/mixed case, dotted tail. */
function v6Spellings(address: string): string[] {
	const g = groupsOf(address);
	const out = new Set<string>();
	const plain = g.map(hex);
	out.add(plain.join(':'));
	out.add(g.map((x) => hex(x).padStart(4, '0')).join(':'));
	// '::' for every run of zero groups (also a single zero group, which parsers accept)
	for (let i = 0; i < 8; i++) {
		for (let j = i; j < 8 && g[j] === 0; j++) {
			out.add(`${plain.slice(0, i).join(':')}::${plain.slice(j + 1).join(':')}`);
		}
	}
	out.add(`${plain.slice(0, 6).join(':')}:${g[6] >> 8}.${g[6] & 0xff}.${g[7] >> 8}.${g[7] & 0xff}`); // dotted tail
	const forms = [...out];
	for (const f of forms) {
		out.add(f.toUpperCase());
		out.add(f.replace(/[a-f]/, (c) => c.toUpperCase()));
	}
	return [...out].map((s) => `[${s}]`);
}

// ---------- the table ----------

interface Row {
	/** The class, as the reason must name it. */
	cls: string;
	v4?: string[];
	v6?: string[];
	/** Addresses just outside the range: allowed by default. */
	outside: string[];
	/** Addresses just outside that fall into a neighbouring blocked class (which must be named instead). */
	neighbours?: Array<[address: string, cls: string]>;
}

const TABLE: Row[] = [
	{ cls: 'loopback (127.0.0.0/8)', v4: ['127.0.0.1', '127.0.0.0', '127.255.255.255', '127.1.2.3'], outside: ['126.255.255.255', '128.0.0.0'] },
	{ cls: '"this network" (0.0.0.0/8)', v4: ['0.0.0.0', '0.0.0.1', '0.255.255.255', '0.1.2.3'], outside: ['1.0.0.0'] },
	{ cls: 'private (RFC 1918, 10.0.0.0/8)', v4: ['10.0.0.0', '10.0.0.1', '10.255.255.255', '10.1.2.3'], outside: ['9.255.255.255', '11.0.0.0'] },
	{ cls: 'private (RFC 1918, 172.16.0.0/12)', v4: ['172.16.0.0', '172.16.0.1', '172.31.255.255', '172.20.30.40'], outside: ['172.15.255.255', '172.32.0.0'] },
	{ cls: 'private (RFC 1918, 192.168.0.0/16)', v4: ['192.168.0.0', '192.168.1.1', '192.168.255.255'], outside: ['192.167.255.255', '192.169.0.0'] },
	{
		cls: 'link-local (169.254.0.0/16)',
		v4: ['169.254.0.0', '169.254.0.1', '169.254.169.253', '169.254.169.255', '169.254.255.255'],
		outside: ['169.253.255.255', '169.255.0.0'],
	},
	{ cls: 'cloud metadata service (169.254.169.254)', v4: ['169.254.169.254'], outside: [], neighbours: [['169.254.169.253', 'link-local (169.254.0.0/16)'], ['169.254.169.255', 'link-local (169.254.0.0/16)']] },
	{ cls: 'carrier-grade NAT (100.64.0.0/10)', v4: ['100.64.0.0', '100.64.0.1', '100.127.255.255', '100.100.100.200'], outside: ['100.63.255.255', '100.128.0.0'] },
	{ cls: 'IETF protocol assignments (192.0.0.0/24)', v4: ['192.0.0.0', '192.0.0.170', '192.0.0.255'], outside: ['191.255.255.255', '192.0.1.0'] },
	{ cls: 'benchmarking (198.18.0.0/15)', v4: ['198.18.0.0', '198.19.255.255'], outside: ['198.17.255.255', '198.20.0.0'] },
	{ cls: 'multicast (224.0.0.0/4)', v4: ['224.0.0.0', '224.0.0.1', '239.255.255.250', '239.255.255.255'], outside: ['223.255.255.255'] },
	{ cls: 'reserved / broadcast (240.0.0.0/4)', v4: ['240.0.0.0', '255.255.255.255', '250.1.2.3'], outside: [], neighbours: [['239.255.255.255', 'multicast (224.0.0.0/4)']] },
	{ cls: 'loopback (::1)', v6: ['::1'], outside: ['::2:0:1', '1::1'], neighbours: [['::2', '"this network" (0.0.0.0/8) via IPv4-compatible IPv6']] },
	{ cls: 'unspecified (::)', v6: ['::'], outside: ['1::'] },
	{ cls: 'cloud metadata service (fd00:ec2::254)', v6: ['fd00:ec2::254'], outside: [], neighbours: [['fd00:ec2::253', 'unique-local (fc00::/7)'], ['fd00:ec2::255', 'unique-local (fc00::/7)']] },
	{
		cls: 'unique-local (fc00::/7)',
		v6: ['fc00::', 'fc00::1', 'fd12:3456:789a:1::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
		outside: ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe00::'],
	},
	{
		cls: 'link-local (fe80::/10)',
		v6: ['fe80::', 'fe80::1', 'fe80::1:2:3:4', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
		outside: ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
		neighbours: [['fec0::', 'site-local (fec0::/10)']],
	},
	{ cls: 'multicast (ff00::/8)', v6: ['ff00::', 'ff02::1', 'ff05::1:3', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], outside: [], neighbours: [['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'site-local (fec0::/10)']] },
	{ cls: 'local-use NAT64 (64:ff9b:1::/48)', v6: ['64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'], outside: ['64:ff9b:2::1'] },
];

/** Public addresses an embedded-IPv4 form must let through, and their IPv6 carriers. */
const PUBLIC_EMBEDDED = ['8.8.8.8', '93.184.216.34', '1.1.1.1'];

/** An egress check that lets everything through and records which hosts it was asked about (n8n's is in e2e). */
function recordingEgress(): EgressCheck & { asked: string[] } {
	const asked: string[] = [];
	const check = (async (url: string) => {
		asked.push(new URL(url).hostname);
		return { ok: true as const };
	}) as EgressCheck & { asked: string[] };
	check.asked = asked;
	return check;
}

const reasonOf = (v: TargetVerdict) => (v.ok ? '' : v.reason);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

let tableCases = 0;

async function assertRefused(url: string, cls: string, egress: EgressCheck = recordingEgress()): Promise<void> {
	tableCases++;
	const strict = await checkTarget(url, STRICT, egress);
	assert.equal(strict.ok, false, `${url} must be refused by default`);
	const reason = reasonOf(strict);
	assert.match(reason, new RegExp(`^Refused to contact .*: ${escape(cls)} addresses are blocked to prevent server-side request forgery`), `${url}: ${reason}`);
	assert.match(reason, /Allow Private Targets/, 'the reason says how to allow it');
	const open = await checkTarget(url, OPEN);
	assert.equal(open.ok, true, `${url} must be allowed with allowPrivateTargets: ${reasonOf(open)}`);
}

describe('SSRF table (core): every blocked class, spelled every way, refused by default', () => {
	for (const row of TABLE) {
		const spellings: Array<[string, string]> = [];
		for (const a of row.v4 ?? []) for (const s of v4Spellings(a)) spellings.push([s, row.cls]);
		for (const a of row.v4 ?? []) for (const [s, via] of embeddedSpellings(a)) spellings.push([s, `${row.cls} via ${via}`]);
		for (const a of row.v6 ?? []) for (const s of v6Spellings(a)) spellings.push([s, row.cls]);

		it(`${row.cls}: ${spellings.length} spellings refused with the class named, allowed with allowPrivateTargets`, async () => {
			let parsedAsAddress = 0;
			for (const [spelling, cls] of spellings) {
				const url = `http://${spelling}:8080/hook?x=1`;
				// Every spelling is one the URL parser accepts, and the guard judges the host the parser produced.
				const host = new URL(url).hostname;
				const direct = classifyAddress(host);
				assert.ok(direct, `${spelling} → ${host} must be recognised as an address`);
				assert.equal(direct.blocked, true, `${spelling} → ${host}`);
				assert.equal(direct.range, cls, `${spelling} → ${host}`);
				// classifyAddress reads the raw spelling too (documented: decimal, hex, octal, short, IPv6 forms) and
				// agrees with the URL parser; only the Unicode and percent-encoded forms need the URL parser first.
				const raw = classifyAddress(spelling);
				if (/^(\[[0-9a-fA-F:.]+\]|[0-9a-fA-FxX.]+)$/.test(spelling)) {
					assert.ok(raw, `classifyAddress must read the spelling ${spelling}`);
					parsedAsAddress++;
					assert.equal(raw.range, cls, `raw ${spelling}`);
				}
				const egress = recordingEgress();
				await assertRefused(url, cls, egress);
				assert.deepEqual(egress.asked, [], `a blocked literal address is refused before n8n is asked (${spelling})`);
				await assertRefused(`https://${spelling}/`, cls);
			}
			assert.ok(parsedAsAddress >= spellings.length / 2, `only ${parsedAsAddress} raw spellings`);
		});

		if (row.outside.length || row.neighbours?.length) {
			it(`${row.cls}: the addresses just outside are not in this class`, async () => {
				for (const a of row.outside) {
					tableCases++;
					const spelled = a.includes(':') ? `[${a}]` : a;
					const c = classifyAddress(a);
					assert.ok(c, a);
					assert.equal(c.blocked, false, `${a} is outside ${row.cls} and public, got ${c.range}`);
					const egress = recordingEgress();
					const v = await checkTarget(`http://${spelled}/`, STRICT, egress);
					assert.deepEqual(v, { ok: true });
					assert.deepEqual(egress.asked, [new URL(`http://${spelled}/`).hostname], 'a public address still goes to n8n\'s check');
				}
				for (const [a, cls] of row.neighbours ?? []) {
					tableCases++;
					assert.equal(classifyAddress(a)?.range, cls, `${a} belongs to ${cls}, not ${row.cls}`);
				}
			});
		}

	}

	it('public IPv4 inside IPv4-mapped, -compatible, NAT64 and 6to4 carriers is allowed', async () => {
		for (const a of PUBLIC_EMBEDDED) {
			for (const [spelling, via] of embeddedSpellings(a)) {
				tableCases++;
				const c = classifyAddress(new URL(`http://${spelling}/`).hostname);
				assert.deepEqual(c, { blocked: false, range: `public IPv4 via ${via}` }, spelling);
				assert.equal((await checkTarget(`http://${spelling}/`, STRICT)).ok, true, spelling);
			}
		}
	});

	it('URL tricks: the guard judges exactly the host the WHATWG parser (and so the HTTP client) contacts', async () => {
		// [url, host the parser contacts, expected: 'loopback' | 'userinfo' | 'public']
		const cases: Array<[string, string, 'loopback' | 'userinfo' | 'public']> = [
			['http://good.example.com@127.0.0.1/', '127.0.0.1', 'userinfo'],
			['http://good.example.com:80@127.0.0.1/', '127.0.0.1', 'userinfo'],
			['http://127.0.0.1:80@good.example.com/', 'good.example.com', 'userinfo'],
			['http://127.0.0.1%2f@good.example.com/', 'good.example.com', 'userinfo'],
			['http://[::1]@good.example.com/', 'good.example.com', 'userinfo'],
			['http://@127.0.0.1/', '127.0.0.1', 'loopback'], // empty userinfo is dropped by the parser
			['http://127.0.0.1#@good.example.com/', '127.0.0.1', 'loopback'],
			['http://127.0.0.1?@good.example.com/', '127.0.0.1', 'loopback'],
			['http://127.0.0.1\\@good.example.com/', '127.0.0.1', 'loopback'],
			['http://good.example.com\\@127.0.0.1/', 'good.example.com', 'public'], // "\" is "/" in http URLs
			['http://good.example.com/@127.0.0.1/', 'good.example.com', 'public'],
			['HTTP://127.0.0.1/', '127.0.0.1', 'loopback'],
			['http:127.0.0.1/', '127.0.0.1', 'loopback'],
			['http:/127.0.0.1/', '127.0.0.1', 'loopback'],
			['http:\\\\127.0.0.1\\x', '127.0.0.1', 'loopback'],
			['http:///127.0.0.1/', '127.0.0.1', 'loopback'],
			['  http://127.0.0.1/  ', '127.0.0.1', 'loopback'],
			['http://12\t7.0.0.1/', '127.0.0.1', 'loopback'], // tabs and newlines are removed
			['http://127.0.0.1\n/', '127.0.0.1', 'loopback'],
			['http://127.0.0.1:80/', '127.0.0.1', 'loopback'],
			['https://127.0.0.1:443/', '127.0.0.1', 'loopback'],
			['http://127.0.0.1:65535/', '127.0.0.1', 'loopback'],
			['http://LOCALHOST/', 'localhost', 'loopback'],
			['http://localhost./', 'localhost.', 'loopback'],
			['http://\u24dbocalhost/', 'localhost', 'loopback'], // ⓛocalhost: IDNA maps it to localhost
			['http://xn--nxa.example.com/', 'xn--nxa.example.com', 'public'],
		];
		for (const [url, host, expected] of cases) {
			tableCases++;
			assert.equal(new URL(url).hostname, host, `the URL parser contacts ${host} for ${JSON.stringify(url)}`);
			const egress = recordingEgress();
			const v = await checkTarget(url, STRICT, egress);
			if (expected === 'public') {
				assert.equal(v.ok, true, `${url}: ${reasonOf(v)}`);
				assert.deepEqual(egress.asked, [host], 'n8n\'s check is asked about the host the client will contact');
			} else if (expected === 'userinfo') {
				assert.equal(v.ok, false, url);
				assert.match(reasonOf(v), /must not contain a username or password/);
				// userinfo is refused even with allowPrivateTargets
				assert.equal((await checkTarget(url, OPEN)).ok, false);
			} else {
				assert.equal(v.ok, false, url);
				assert.match(reasonOf(v), /loopback \((127\.0\.0\.0\/8|::1|localhost)\) addresses are blocked/, `${url}: ${reasonOf(v)}`);
				assert.deepEqual(egress.asked, [], 'refused before n8n is asked');
				assert.equal((await checkTarget(url, OPEN)).ok, true, url);
			}
		}
	});

	it('non-http schemes are refused even with allowPrivateTargets', async () => {
		for (const url of ['file:///etc/passwd', 'gopher://127.0.0.1:6379/_INFO', 'ftp://127.0.0.1/', 'ws://127.0.0.1/', 'dict://127.0.0.1:11211/stat', 'javascript:alert(1)', 'data:text/plain,x']) {
			tableCases++;
			for (const policy of [STRICT, OPEN]) {
				const v = await checkTarget(url, policy, recordingEgress());
				assert.equal(v.ok, false, url);
				assert.match(reasonOf(v), /Only http and https URLs are allowed/);
			}
		}
	});
});

// ---------- (b) through the real node ----------

const item = { event: 'contactData', contact: { id: '1', email: 'a@b.de' } };

function outcome(res: RunResult): { status: string; reason: string; httpStatus?: number } {
	assert.equal(res.error, undefined, `the node failed as a whole: ${res.error?.message}`);
	assert.equal(res.main.length, 1);
	const json = res.main[0].json as { status: string; reason?: string; httpStatus?: number };
	return { status: json.status, reason: json.reason ?? '', httpStatus: json.httpStatus };
}

/** Whether a TCP connection to host:port can be made here (IPv6 may be missing in a sandbox). */
function reachable(host: string, port: number): Promise<boolean> {
	return new Promise((resolve) => {
		const socket = connect({ host, port, timeout: 1000 });
		socket.once('connect', () => {
			socket.destroy();
			resolve(true);
		});
		socket.once('error', () => resolve(false));
		socket.once('timeout', () => {
			socket.destroy();
			resolve(false);
		});
	});
}

describe('SSRF table (node): loopback spellings of a real receiver, redirects', () => {
	let rx: Receiver;
	let rx2: Receiver;
	/** A second listener on [::1] (the receiver helper listens on 127.0.0.1 only), when IPv6 loopback exists. */
	let v6: { server: Server; port: number; hits: string[] } | undefined;
	let nodeRuns = 0;

	before(async () => {
		rx = await startReceiver();
		rx2 = await startReceiver();
		const hits: string[] = [];
		const server = createServer((req, res) => {
			hits.push(req.url ?? '');
			req.resume();
			req.on('end', () => res.end('{"ok":true}'));
		});
		const listening = await new Promise<boolean>((resolve) => {
			server.once('error', () => resolve(false));
			server.listen(0, '::1', () => resolve(true));
		});
		if (listening) v6 = { server, port: (server.address() as AddressInfo).port, hits };
	});
	after(async () => {
		await rx.close();
		await rx2.close();
		if (v6) await new Promise<void>((resolve) => v6!.server.close(() => resolve()));
		console.log(`# ssrf-table: ${tableCases} core table cases, ${nodeRuns} node runs`);
		assert.ok(tableCases >= 2000, `only ${tableCases} table cases`);
	});
	beforeEach(() => {
		rx.requests.length = 0;
		rx2.requests.length = 0;
		rx.setScript(() => undefined);
		if (v6) v6.hits.length = 0;
	});

	const run = async (url: string, options: Record<string, unknown> = {}) => {
		nodeRuns++;
		return outcome(
			await runOutbound({
				items: [item],
				parameters: { outboundName: 'X', url, options: { maxAttempts: 1, timeout: 3000, ...options } },
				onError: 'continueRegularOutput',
			}),
		);
	};

	it('every loopback spelling of the receiver: refused by default (zero requests), delivered with allowPrivateTargets', async (t) => {
		const port = rx.port;
		const spellings = ['127.0.0.1', '2130706433', '0x7f000001', '0x7f.0.0.1', '0177.0.0.1', '127.1', '127.0.1', '127.0.0.1.', '0x7F.1', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[0:0:0:0:0:ffff:7f00:1]', 'localhost', 'LocalHost.', '0.0.0.0', '0'];
		let delivered = 0;
		for (const [i, host] of spellings.entries()) {
			const url = `http://${host}:${port}/ssrf/${i}?q=1`;
			const refused = await run(url);
			assert.equal(refused.status, 'failed', `${url} must not be delivered by default`);
			const byClass = /^Refused to contact .*(loopback \(127\.0\.0\.0\/8\)|loopback \(::1\)|loopback \(localhost\)|"this network" \(0\.0\.0\.0\/8\))/;
			// Addresses by their class, localhost-style names by name: no DNS either way.
			assert.match(refused.reason, byClass, `${url}: ${refused.reason}`);
			assert.equal(rx.requests.length, 0, `${url}: the receiver must see nothing`);

			const allowed = await run(url, { allowPrivateTargets: true });
			const canConnect = await reachable(new URL(url).hostname.replace(/^\[|\]$/g, ''), port);
			if (canConnect) {
				assert.equal(allowed.status, 'delivered', `${url}: ${allowed.reason}`);
				assert.equal(rx.requests.length, 1, url);
				assert.equal(rx.requests[0].url, `/ssrf/${i}?q=1`);
				delivered++;
			} else {
				t.diagnostic(`${host} is not reachable in this environment; the guard let it through`);
				assert.doesNotMatch(allowed.reason, /Refused to contact/);
			}
			rx.requests.length = 0;
		}
		// 127.0.0.1 and its numeric spellings are always reachable where the receiver runs.
		assert.ok(delivered >= 10, `only ${delivered} spellings delivered with allowPrivateTargets`);
	});

	it('[::1] spellings against a listener on ::1: refused by default, delivered with allowPrivateTargets', async (t) => {
		const listener = v6;
		if (!listener) {
			t.skip('no IPv6 loopback in this environment');
			return;
		}
		for (const [i, host] of ['[::1]', '[0:0:0:0:0:0:0:1]', '[0000:0000:0000:0000:0000:0000:0000:0001]', '[::0:1]', '[0::1]'].entries()) {
			const url: string = `http://${host}:${listener.port}/v6/${i}`;
			const refused = await run(url);
			assert.equal(refused.status, 'failed', url);
			assert.match(refused.reason, /^Refused to contact \[::1\]: loopback \(::1\) addresses are blocked/);
			assert.equal(listener.hits.length, 0, `${url}: the listener must see nothing`);
			const allowed = await run(url, { allowPrivateTargets: true });
			assert.equal(allowed.status, 'delivered', `${url}: ${allowed.reason}`);
			assert.deepEqual(listener.hits, [`/v6/${i}`]);
			listener.hits.length = 0;
		}
	});

	it('allowPrivateTargets applies to every hop (documented: each hop is checked with the same policy), unless redirects are off', async () => {
		rx.setScript(() => ({ redirect: `${rx2.url}/internal`, status: 302 }));
		const followed = await run(`${rx.url}/start`, { allowPrivateTargets: true });
		assert.equal(followed.status, 'delivered', followed.reason);
		assert.equal(rx.requests.length, 1);
		assert.equal(rx2.requests.length, 1);
		assert.equal(rx2.requests[0].url, '/internal');

		rx.requests.length = 0;
		rx2.requests.length = 0;
		rx.setScript(() => ({ redirect: 'http://169.254.169.254/latest/meta-data/' }));
		const notFollowed = await run(`${rx.url}/start`, { allowPrivateTargets: true, followRedirects: false });
		assert.equal(notFollowed.status, 'failed');
		assert.equal(notFollowed.httpStatus, 302);
		assert.match(notFollowed.reason, /Too many redirects \(more than 0\)/);
		assert.equal(rx.requests.length, 1);
	});

	describe('redirects from a public first hop to private targets (default options)', () => {
		// The node's guard does no DNS; a host name passes it (n8n's own SSRF protection judges names, see
		// test/e2e/ssrf.test.ts). To get a first hop that reaches the local receiver under the default options, the
		// HTTP client's DNS is faked for one test-only name: it connects to 127.0.0.1. The redirects that follow are
		// literal addresses and localhost-style names, which the node's guard refuses by itself.
		const PUBLIC_HOP = 'public-hop.ssrf.test';
		const original = dns.lookup;
		const clientAsked: string[] = [];

		before(() => {
			const fake = function (hostname: string, options: unknown, callback?: unknown): void {
				const cb = (typeof options === 'function' ? options : callback) as (err: Error | null, a?: unknown, f?: number) => void;
				const opts = (typeof options === 'object' && options !== null ? options : {}) as { all?: boolean };
				clientAsked.push(hostname);
				if (hostname !== PUBLIC_HOP) {
					(original as (...a: unknown[]) => void).call(dns, hostname, options, callback);
					return;
				}
				const address = '127.0.0.1';
				process.nextTick(() => (opts.all ? cb(null, [{ address, family: 4 }]) : cb(null, address, 4)));
			};
			(dns as { lookup: unknown }).lookup = fake;
		});
		after(() => {
			(dns as { lookup: unknown }).lookup = original;
		});
		beforeEach(() => {
			clientAsked.length = 0;
		});

		it('control: the public first hop is delivered, and a same-host redirect is followed', async () => {
			const plain = await run(`http://${PUBLIC_HOP}:${rx.port}/plain`);
			assert.equal(plain.status, 'delivered', plain.reason);
			assert.ok(clientAsked.includes(PUBLIC_HOP), 'the HTTP client resolved the host (the guard does no DNS)');
			rx.requests.length = 0;
			rx.setScript((r) => (r.url === '/start' ? { redirect: '/next', status: 307 } : undefined));
			const redirected = await run(`http://${PUBLIC_HOP}:${rx.port}/start`);
			assert.equal(redirected.status, 'delivered', redirected.reason);
			assert.deepEqual(rx.requests.map((r) => r.url), ['/start', '/next']);
		});

		it('a redirect to any private spelling is refused before it is contacted, naming the class', async () => {
			const targets: Array<[string, RegExp]> = [
				['http://169.254.169.254/latest/meta-data/', /cloud metadata service \(169\.254\.169\.254\)/],
				['http://0xa9fea9fe/latest/meta-data/', /cloud metadata service \(169\.254\.169\.254\)/],
				['http://[fd00:ec2::254]/latest/meta-data/', /cloud metadata service \(fd00:ec2::254\)/],
				['http://[::ffff:169.254.169.254]/', /cloud metadata service \(169\.254\.169\.254\) via IPv4-mapped IPv6/],
				[`http://127.0.0.1:${rx2.port}/internal`, /loopback \(127\.0\.0\.0\/8\)/],
				[`http://2130706433:${rx2.port}/internal`, /loopback \(127\.0\.0\.0\/8\)/],
				[`http://0x7f.1:${rx2.port}/internal`, /loopback \(127\.0\.0\.0\/8\)/],
				[`http://[::ffff:7f00:1]:${rx2.port}/internal`, /loopback \(127\.0\.0\.0\/8\) via IPv4-mapped IPv6/],
				[`http://0:${rx2.port}/internal`, /"this network" \(0\.0\.0\.0\/8\)/],
				[`http://localhost:${rx2.port}/internal`, /loopback/],
				[`http://app.localhost:${rx2.port}/internal`, /loopback \(localhost\)/],
				['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata service \(metadata\.google\.internal\)/],
				['http://10.1/', /private \(RFC 1918, 10\.0\.0\.0\/8\)/],
				['http://192.168.0x101/', /private \(RFC 1918, 192\.168\.0\.0\/16\)/],
				['http://[fe80::1]/', /link-local \(fe80::\/10\)/],
			];
			const statuses = [301, 302, 303, 307, 308] as const;
			for (const [i, [target, cls]] of targets.entries()) {
				rx.requests.length = 0;
				rx2.requests.length = 0;
				clientAsked.length = 0;
				rx.setScript(() => ({ redirect: target, status: statuses[i % statuses.length] }));
				const r = await run(`http://${PUBLIC_HOP}:${rx.port}/start`);
				assert.equal(r.status, 'failed', `${target} must not be followed`);
				assert.match(r.reason, /^Refused to contact /, `${target}: ${r.reason}`);
				assert.match(r.reason, cls, `${target}: ${r.reason}`);
				assert.equal(rx.requests.length, 1, 'only the first hop reached the receiver');
				assert.equal(rx2.requests.length, 0, `${target}: the private target must see nothing`);
				assert.deepEqual(clientAsked.filter((h) => h !== PUBLIC_HOP), [], 'the refused target was never even looked up');
			}
		});
	});
});
