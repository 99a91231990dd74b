/**
 * The trigger's IP Allowlist: addresses and CIDR ranges, IPv4 and IPv6, parsed and matched here (the `net` module is
 * not available to community nodes). An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, how a dual-stack server
 * reports IPv4 callers) counts as its IPv4 address, in the list and in the request alike. Which addresses of a
 * request are checked follows n8n's own Webhook node: the client address Express computes under n8n's trust-proxy
 * setting (`req.ip`; `N8N_PROXY_HOPS`), or any of the forwarded addresses Express trusts (`req.ips`). No n8n imports.
 */

/** An address as a number: 32 bits for IPv4, 128 for IPv6. */
export interface IpAddress {
	version: 4 | 6;
	value: bigint;
}

/** One entry of the list: a network and its prefix length (an address alone is a /32 or /128). */
export interface IpRange extends IpAddress {
	prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseV4(text: string): bigint | undefined {
	const parts = text.split('.');
	if (parts.length !== 4) return undefined;
	let value = 0n;
	for (const part of parts) {
		if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
		value = (value << 8n) | BigInt(Number(part));
	}
	return value;
}

/** The 16-bit groups of one side of `::`; the last may be an IPv4 tail (two groups). */
function groupsOf(part: string, v4Tail: boolean): number[] | undefined {
	if (part === '') return [];
	const pieces = part.split(':');
	const groups: number[] = [];
	for (const [i, piece] of pieces.entries()) {
		if (v4Tail && i === pieces.length - 1 && piece.includes('.')) {
			const v4 = parseV4(piece);
			if (v4 === undefined) return undefined;
			groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
		} else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
			groups.push(parseInt(piece, 16));
		} else return undefined;
	}
	return groups;
}

function parseV6(text: string): bigint | undefined {
	const halves = text.split('::');
	if (halves.length > 2) return undefined;
	let groups: number[];
	if (halves.length === 1) {
		const all = groupsOf(text, true);
		if (!all || all.length !== 8) return undefined;
		groups = all;
	} else {
		const head = groupsOf(halves[0], false);
		const tail = groupsOf(halves[1], true);
		if (!head || !tail || head.length + tail.length > 7) return undefined;
		groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
	}
	return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

const MAPPED_PREFIX = 0xffffn;

/**
 * An IPv4 or IPv6 address (an IPv6 zone such as `%eth0` and surrounding brackets ignored), IPv4-mapped IPv6 as
 * IPv4; undefined for anything else.
 */
export function parseIp(text: string): IpAddress | undefined {
	let s = text.trim();
	if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
	const zone = s.indexOf('%');
	if (zone !== -1) s = s.slice(0, zone);
	if (!s.includes(':')) {
		const v4 = parseV4(s);
		return v4 === undefined ? undefined : { version: 4, value: v4 };
	}
	const v6 = parseV6(s);
	if (v6 === undefined) return undefined;
	if (v6 >> 32n === MAPPED_PREFIX) return { version: 4, value: v6 & 0xffffffffn };
	return { version: 6, value: v6 };
}

/** An address or `address/prefix`; host bits are ignored (`10.1.2.3/8` is `10.0.0.0/8`). */
export function parseRange(text: string): IpRange | undefined {
	const slash = text.indexOf('/');
	const addressText = slash === -1 ? text : text.slice(0, slash);
	const raw = addressText.trim();
	const address = parseIp(raw);
	if (!address) return undefined;
	const mapped = address.version === 4 && raw.includes(':');
	let prefix: number = BITS[address.version];
	if (slash !== -1) {
		const prefixText = text.slice(slash + 1).trim();
		if (!/^\d{1,3}$/.test(prefixText)) return undefined;
		prefix = Number(prefixText);
		// `::ffff:192.0.2.0/120` is IPv4's /24
		if (mapped) {
			if (prefix < 96 || prefix > 128) return undefined;
			prefix -= 96;
		}
		if (prefix > BITS[address.version]) return undefined;
	}
	const host = BigInt(BITS[address.version] - prefix);
	return { version: address.version, value: (address.value >> host) << host, prefix };
}

/** Whether an address lies in a range. */
export function inRange(address: IpAddress, range: IpRange): boolean {
	if (address.version !== range.version) return false;
	const host = BigInt(BITS[range.version] - range.prefix);
	return address.value >> host === range.value >> host;
}

/**
 * The "IP Allowlist" option: entries separated by commas, semicolons or whitespace; empty = everyone. Every entry
 * must parse: a wrong entry is a problem naming it, never silently skipped (n8n's Webhook node skips them, which
 * can lock callers out, or in, unnoticed).
 */
export function parseAllowlist(text: unknown): { ok: true; ranges: IpRange[] } | { ok: false; problem: string } {
	if (text === undefined || text === null) return { ok: true, ranges: [] };
	if (typeof text !== 'string') return { ok: false, problem: 'it is not text' };
	const ranges: IpRange[] = [];
	for (const entry of text.split(/[\s,;]+/).filter((e) => e !== '')) {
		const range = parseRange(entry);
		if (!range) {
			return {
				ok: false,
				problem: `"${entry.slice(0, 60)}" is not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/32)`,
			};
		}
		ranges.push(range);
	}
	return { ok: true, ranges };
}

/**
 * Whether a request may pass: always with an empty list; otherwise when its client address (`ip`) or one of the
 * forwarded addresses n8n's proxy setting trusts (`ips`) is in a range, as n8n's Webhook node decides.
 */
export function ipAllowed(ranges: readonly IpRange[], ip: string | undefined, ips: readonly string[] = []): boolean {
	if (ranges.length === 0) return true;
	for (const candidate of [ip, ...ips]) {
		const address = typeof candidate === 'string' ? parseIp(candidate) : undefined;
		if (address && ranges.some((range) => inRange(address, range))) return true;
	}
	return false;
}
