/**
 * The DNS side of the SSRF guard: resolves a host to all its addresses with the operating system's resolver
 * (`dns.lookup(host, { all: true })`, what the HTTP client itself uses), with a small per-run cache so 10,000
 * deliveries to one host cost one lookup. Kept apart from the pure checks in ssrf.ts.
 */
// eslint-disable-next-line @n8n/community-nodes/no-restricted-imports -- the SSRF guard must resolve the target host before contacting it
import { lookup } from 'dns';
import type { ResolvedAddress, Resolver } from './ssrf';

export function systemResolver(): Resolver {
	return (host: string) =>
		new Promise<ResolvedAddress[]>((resolve, reject) => {
			lookup(host, { all: true, verbatim: true }, (error, addresses) => {
				if (error) reject(error);
				else resolve(addresses.map((a) => ({ address: a.address, family: a.family })));
			});
		});
}

/** Wraps a resolver so each host is looked up once per `ttlMs` (failures are not cached). */
export function cachingResolver(inner: Resolver, now: () => number, ttlMs = 30_000): Resolver {
	const cache = new Map<string, { at: number; result: Promise<ResolvedAddress[]> }>();
	return (host: string) => {
		const key = host.toLowerCase();
		const hit = cache.get(key);
		if (hit && now() - hit.at < ttlMs) return hit.result;
		const result = inner(host);
		cache.set(key, { at: now(), result });
		result.catch(() => cache.delete(key));
		return result;
	};
}
