/**
 * SSRF guard for outbound targets, without DNS (n8n's linter allows no `dns` import in a community node, and
 * n8n >= 2.12 has its own SSRF protection that resolves and checks host names at connect time). Defence in depth:
 *
 * 1. This core refuses by itself, before anything is contacted: non-http(s) schemes, user:password in the URL,
 *    every literal address in a blocked class in any spelling a URL parser or resolver may produce (decimal
 *    `2130706433`, hex `0x7f000001`, octal `0177.0.0.1`, short `127.1`, IPv6 incl. IPv4-mapped `::ffff:127.0.0.1` /
 *    `::ffff:7f00:1`, NAT64, 6to4), and localhost-style and cloud-metadata host names. The same checks run on
 *    every redirect hop (the node follows redirects itself).
 * 2. Host names are checked by n8n's own egress guard where the instance has it (`EgressCheck`, fed by
 *    `this.helpers.getSecureEgressFilter()` on n8n-workflow >= 2.30; n8n >= 2.12 with
 *    `N8N_SSRF_PROTECTION_ENABLED=true` also checks every request at DNS resolution). Its refusals are recognised
 *    by `egressRefusal` and are final; a lookup that fails is a network error (retried), not a refusal.
 * No n8n imports.
 */

export interface AddressClass {
	/** true when the address must not be contacted without allowPrivateTargets. */
	blocked: boolean;
	/** Human-readable range name, e.g. "loopback (127.0.0.0/8)". */
	range: string;
}

/**
 * Parses an IPv4 address the way inet_aton and the WHATWG URL parser do: 1-4 parts, each decimal, octal
 * (leading 0) or hex (0x); the last part fills the remaining bytes. Returns the 4 bytes or null.
 */
export function parseIPv4(text: string): number[] | null {
	const s = text.trim();
	if (s === '' || s.length > 64) return null;
	const parts = s.endsWith('.') ? s.slice(0, -1).split('.') : s.split('.');
	if (parts.length < 1 || parts.length > 4) return null;
	const nums: number[] = [];
	for (const part of parts) {
		let n: number;
		if (/^0[xX][0-9a-fA-F]*$/.test(part)) n = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
		else if (/^0[0-7]+$/.test(part)) n = parseInt(part.slice(1), 8);
		else if (/^(0|[1-9][0-9]*)$/.test(part)) n = parseInt(part, 10);
		else return null;
		if (!Number.isFinite(n)) return null;
		nums.push(n);
	}
	const last = nums[nums.length - 1];
	const head = nums.slice(0, -1);
	if (head.some((n) => n > 255)) return null;
	if (last >= 256 ** (5 - nums.length)) return null;
	const bytes = [...head];
	const remaining = 4 - head.length;
	for (let i = remaining - 1; i >= 0; i--) bytes.push(Math.floor(last / 256 ** i) % 256);
	return bytes;
}

/** Parses an IPv6 address (optionally in brackets, with a zone ID, with an embedded IPv4 tail) into 16 bytes. */
export function parseIPv6(text: string): number[] | null {
	let s = text.trim();
	if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
	const zone = s.indexOf('%');
	if (zone !== -1) s = s.slice(0, zone);
	if (!s.includes(':') || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
	const lastColon = s.lastIndexOf(':');
	if (s.slice(lastColon + 1).includes('.')) {
		// Embedded IPv4 tail (::ffff:127.0.0.1): rewrite it as two hex groups.
		const v4 = s.slice(lastColon + 1);
		if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return null;
		const b = v4.split('.').map(Number);
		if (b.some((x) => x > 255)) return null;
		s = `${s.slice(0, lastColon + 1)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
	}
	const dbl = s.split('::');
	if (dbl.length > 2) return null;
	const toGroups = (part: string): number[] | null => {
		if (part === '') return [];
		const groups = part.split(':');
		const out: number[] = [];
		for (const g of groups) {
			if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
			out.push(parseInt(g, 16));
		}
		return out;
	};
	let groups: number[];
	if (dbl.length === 2) {
		const left = toGroups(dbl[0]);
		const right = toGroups(dbl[1]);
		if (!left || !right) return null;
		const fill = 8 - left.length - right.length;
		if (fill < 1) return null;
		groups = [...left, ...new Array<number>(fill).fill(0), ...right];
	} else {
		const all = toGroups(s);
		if (!all) return null;
		groups = all;
	}
	if (groups.length !== 8) return null;
	const bytes: number[] = [];
	for (const g of groups) bytes.push(g >> 8, g & 0xff);
	return bytes;
}

type V4Range = [bytes: number[], prefix: number, name: string];

const BLOCKED_V4: V4Range[] = [
	[[0, 0, 0, 0], 8, '"this network" (0.0.0.0/8)'],
	[[10, 0, 0, 0], 8, 'private (RFC 1918, 10.0.0.0/8)'],
	[[100, 64, 0, 0], 10, 'carrier-grade NAT (100.64.0.0/10)'],
	[[127, 0, 0, 0], 8, 'loopback (127.0.0.0/8)'],
	[[169, 254, 169, 254], 32, 'cloud metadata service (169.254.169.254)'],
	[[169, 254, 0, 0], 16, 'link-local (169.254.0.0/16)'],
	[[172, 16, 0, 0], 12, 'private (RFC 1918, 172.16.0.0/12)'],
	[[192, 0, 0, 0], 24, 'IETF protocol assignments (192.0.0.0/24)'],
	[[192, 168, 0, 0], 16, 'private (RFC 1918, 192.168.0.0/16)'],
	[[198, 18, 0, 0], 15, 'benchmarking (198.18.0.0/15)'],
	[[224, 0, 0, 0], 4, 'multicast (224.0.0.0/4)'],
	[[240, 0, 0, 0], 4, 'reserved / broadcast (240.0.0.0/4)'],
];

function inPrefix(bytes: number[], base: number[], prefix: number): boolean {
	for (let bit = 0; bit < prefix; bit++) {
		const i = bit >> 3;
		const mask = 0x80 >> (bit & 7);
		if ((bytes[i] & mask) !== (base[i] & mask)) return false;
	}
	return true;
}

function classifyV4(b: number[]): AddressClass {
	for (const [base, prefix, name] of BLOCKED_V4) {
		if (inPrefix(b, base, prefix)) return { blocked: true, range: name };
	}
	return { blocked: false, range: 'public IPv4' };
}

function v6(text: string): number[] {
	return parseIPv6(text)!;
}

const BLOCKED_V6: Array<[number[], number, string]> = [
	[v6('fd00:ec2::254'), 128, 'cloud metadata service (fd00:ec2::254)'],
	[v6('fc00::'), 7, 'unique-local (fc00::/7)'],
	[v6('fe80::'), 10, 'link-local (fe80::/10)'],
	[v6('fec0::'), 10, 'site-local (fec0::/10)'],
	[v6('ff00::'), 8, 'multicast (ff00::/8)'],
	[v6('100::'), 64, 'discard-only (100::/64)'],
	[v6('2001:db8::'), 32, 'documentation (2001:db8::/32)'],
];

function classifyV6(b: number[]): AddressClass {
	const zeros = (n: number) => b.slice(0, n).every((x) => x === 0);
	if (zeros(16)) return { blocked: true, range: 'unspecified (::)' };
	if (zeros(15) && b[15] === 1) return { blocked: true, range: 'loopback (::1)' };
	// IPv4-mapped ::ffff:a.b.c.d — the embedded IPv4 address decides.
	if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return embedded(b.slice(12), 'IPv4-mapped IPv6');
	// IPv4-translated ::ffff:0:a.b.c.d (SIIT)
	if (zeros(8) && b[8] === 0xff && b[9] === 0xff && b[10] === 0 && b[11] === 0) {
		return embedded(b.slice(12), 'IPv4-translated IPv6');
	}
	// Deprecated IPv4-compatible ::a.b.c.d
	if (zeros(12)) return embedded(b.slice(12), 'IPv4-compatible IPv6');
	// NAT64 64:ff9b::/96 and 64:ff9b:1::/48
	if (inPrefix(b, v6('64:ff9b::'), 96)) return embedded(b.slice(12), 'NAT64');
	if (inPrefix(b, v6('64:ff9b:1::'), 48)) return { blocked: true, range: 'local-use NAT64 (64:ff9b:1::/48)' };
	// 6to4 2002:a.b.c.d::/48
	if (b[0] === 0x20 && b[1] === 0x02) return embedded(b.slice(2, 6), '6to4');
	for (const [base, prefix, name] of BLOCKED_V6) {
		if (inPrefix(b, base, prefix)) return { blocked: true, range: name };
	}
	return { blocked: false, range: 'public IPv6' };
}

function embedded(v4: number[], via: string): AddressClass {
	const inner = classifyV4(v4);
	return inner.blocked ? { blocked: true, range: `${inner.range} via ${via}` } : { blocked: false, range: `public IPv4 via ${via}` };
}

/**
 * Classifies one IP address in any common spelling. Returns null when the text is not an IP address (then it
 * is a host name: see classifyHostName and n8n's egress check).
 */
export function classifyAddress(address: string): AddressClass | null {
	const text = address.trim();
	const v6bytes = parseIPv6(text);
	if (v6bytes) return classifyV6(v6bytes);
	const v4bytes = parseIPv4(text);
	if (v4bytes) return classifyV4(v4bytes);
	return null;
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);
const METADATA_NAMES = new Set([
	'metadata',
	'metadata.google.internal',
	'metadata.goog',
	'instance-data',
	'instance-data.ec2.internal',
	'metadata.azure.internal',
	'metadata.oraclecloud.com',
]);

/**
 * Classifies a host name that is not an address: localhost-style names (`localhost`, `*.localhost`, RFC 6761) and
 * cloud-metadata names always point at the machine itself or its metadata service. Null for any other name.
 */
export function classifyHostName(hostname: string): AddressClass | null {
	const name = hostname.trim().toLowerCase().replace(/\.$/, '');
	if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return { blocked: true, range: 'loopback (localhost)' };
	if (METADATA_NAMES.has(name)) return { blocked: true, range: `cloud metadata service (${name})` };
	return null;
}

/**
 * n8n's egress check for one URL: resolves and checks the host against the instance's SSRF policy. Resolves to
 * `{ ok: false, error }` when n8n refuses the target; rejects when the check itself fails (e.g. the lookup fails).
 */
export type EgressCheck = (url: string) => Promise<{ ok: true } | { ok: false; error: unknown }>;

export interface TargetPolicy {
	allowPrivateTargets: boolean;
	requireHttps: boolean;
}

export type TargetVerdict = { ok: true } | { ok: false; reason: string };

const NAMED_REFUSALS = new Set(['SsrfBlockedIpError', 'SsrfBlockedHostnameError']);

/**
 * The refusal reason (naming the host of `url`) when `error` (or an error it wraps, via `cause` or `errors`) is
 * n8n's SSRF protection refusing a target (`SsrfBlockedIpError`, `SsrfBlockedHostnameError`, n8n >= 2.12); undefined otherwise, so a
 * failed lookup or connection stays a network error.
 */
export function egressRefusal(error: unknown, url?: string): string | undefined {
	const seen = new Set<unknown>();
	const queue: unknown[] = [error];
	while (queue.length > 0 && seen.size < 20) {
		const e = queue.shift();
		if (!e || typeof e !== 'object' || seen.has(e)) continue;
		seen.add(e);
		const { name, message, description, cause, errors } = e as {
			name?: unknown;
			message?: unknown;
			description?: unknown;
			cause?: unknown;
			errors?: unknown;
		};
		if (typeof name === 'string' && NAMED_REFUSALS.has(name)) {
			const parts = [message, description].filter((x): x is string => typeof x === 'string' && x.trim() !== '');
			const detail = parts.map((x) => x.trim().replace(/\.+$/, '')).join('. ') || name;
			const host = hostOf(url);
			return `Refused by n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED)${host ? ` for ${host}` : ''}: ${detail}. "Allow Private Targets" does not override the instance's policy; an n8n administrator can allow the target (N8N_SSRF_ALLOWED_IP_RANGES, N8N_SSRF_ALLOWED_HOSTNAMES).`;
		}
		queue.push(cause);
		if (Array.isArray(errors)) queue.push(...errors);
	}
	return undefined;
}

/**
 * Checks a URL before it is contacted: only http(s); https when required; no userinfo; unless private targets
 * are allowed, no literal address in a blocked class and no localhost-style or metadata name; then n8n's egress
 * check when the instance offers one (it applies even with allowPrivateTargets: it is the administrator's policy).
 * Rejects only when the egress check itself fails (a network error such as ENOTFOUND, to be retried).
 */
export async function checkTarget(url: string, policy: TargetPolicy, egress?: EgressCheck): Promise<TargetVerdict> {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return { ok: false, reason: 'The URL is not a valid absolute URL' };
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		return { ok: false, reason: `Only http and https URLs are allowed, not ${parsed.protocol.replace(':', '')}` };
	}
	if (policy.requireHttps && parsed.protocol !== 'https:') {
		return { ok: false, reason: `HTTPS is required but the URL uses http (host ${parsed.hostname})` };
	}
	if (parsed.username || parsed.password) {
		return { ok: false, reason: 'The URL must not contain a username or password; use the Basic Auth credential' };
	}
	if (!policy.allowPrivateTargets) {
		const host = parsed.hostname;
		const cls = classifyAddress(host) ?? classifyHostName(host);
		if (cls?.blocked) return { ok: false, reason: refusal(host, cls.range) };
	}
	if (!egress) return { ok: true };
	const checked = await egress(parsed.toString());
	if (checked.ok) return { ok: true };
	return {
		ok: false,
		reason: egressRefusal(checked.error, url) ?? `Refused by n8n's SSRF protection for ${parsed.hostname}: ${errorText(checked.error)}`,
	};
}

function hostOf(url: string | undefined): string {
	if (url === undefined) return '';
	try {
		return new URL(url).hostname;
	} catch {
		return '';
	}
}

function errorText(error: unknown): string {
	const message = (error as { message?: unknown })?.message;
	return typeof message === 'string' && message !== '' ? message : String(error);
}

function refusal(host: string, range: string): string {
	return `Refused to contact ${host}: ${range} addresses are blocked to prevent server-side request forgery. Enable the option "Allow Private Targets" only if this target is meant to be internal.`;
}
