/**
 * Every link a user can follow leads somewhere: relative links and anchors in the Markdown files (README,
 * CONTRIBUTING, BENCHMARKS, docs/*.md), links there that point into this repository on GitHub, and the
 * documentation links n8n shows for the nodes (codex primaryDocumentation) and the credential (documentationUrl).
 * Checked against the files and headings in this checkout, with GitHub's anchor rules; no network.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { KlickTippOutboundApi } from '../../credentials/KlickTippOutboundApi.credentials.js';
import { KlickTippOutbound } from '../../nodes/KlickTippOutbound/KlickTippOutbound.node.js';
import { KlickTippOutboundTrigger } from '../../nodes/KlickTippOutboundTrigger/KlickTippOutboundTrigger.node.js';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { homepage: string };
const HOMEPAGE = pkg.homepage.replace(/\/+$/, '');

/** GitHub's heading anchor: lower case, punctuation dropped (letters, digits, '-', '_' and spaces kept), spaces → '-'. */
export function githubSlug(heading: string): string {
	// inline code keeps its text literally; outside it, links become their text and tags and emphasis go
	const text = heading
		.split('`')
		.map((part, i) =>
			i % 2 === 1
				? part
				: part
						.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
						.replace(/<[^>]+>/g, '')
						.replace(/(\*\*|__|\*|~~)/g, ''),
		)
		.join('')
		.trim()
		.toLowerCase();
	return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors GitHub generates for a Markdown file (duplicates get -1, -2, …), plus explicit id/name anchors. */
function anchorsOf(file: string): Set<string> {
	const anchors = new Set<string>();
	const counts = new Map<string, number>();
	let fence: string | undefined;
	for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
		const f = /^\s*(```+|~~~+)/.exec(line);
		if (f) {
			if (!fence) fence = f[1][0];
			else if (f[1][0] === fence) fence = undefined;
			continue;
		}
		if (fence) continue;
		const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
		if (h) {
			const base = githubSlug(h[1]);
			const n = counts.get(base) ?? 0;
			counts.set(base, n + 1);
			anchors.add(n === 0 ? base : `${base}-${n}`);
		}
		for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]);
	}
	return anchors;
}

interface Link {
	from: string;
	line: number;
	target: string;
}

/** Links in a Markdown file outside code: [text](target), ![alt](src), [ref]: target, href="…", src="…". */
function linksOf(file: string): Link[] {
	const out: Link[] = [];
	let fence: string | undefined;
	fs.readFileSync(file, 'utf8')
		.split('\n')
		.forEach((raw, i) => {
			const f = /^\s*(```+|~~~+)/.exec(raw);
			if (f) {
				if (!fence) fence = f[1][0];
				else if (f[1][0] === fence) fence = undefined;
				return;
			}
			if (fence) return;
			const line = raw.replace(/`[^`]*`/g, '');
			const add = (target: string) => out.push({ from: file, line: i + 1, target: target.trim() });
			for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) add(m[1]);
			const ref = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(\s|$)/.exec(line);
			if (ref) add(ref[1]);
			for (const m of line.matchAll(/\b(?:href|src)="([^"]+)"/g)) add(m[1]);
		});
	return out;
}

/** Resolves a link to a path in this checkout and an anchor; undefined for links to elsewhere. */
function resolve(link: Link): { file: string; anchor?: string } | undefined {
	let target = link.target;
	if (/^(mailto|tel):/i.test(target)) return undefined;
	if (/^https?:\/\//i.test(target)) {
		if (target !== HOMEPAGE && !target.startsWith(`${HOMEPAGE}/`) && !target.startsWith(`${HOMEPAGE}#`)) return undefined;
		const rest = target.slice(HOMEPAGE.length);
		const hash = rest.indexOf('#');
		const pathPart = hash < 0 ? rest : rest.slice(0, hash);
		const anchor = hash < 0 ? undefined : rest.slice(hash + 1);
		if (pathPart === '' || pathPart === '/') return { file: path.join(ROOT, 'README.md'), anchor };
		const m = /^\/(?:blob|tree)\/[^/]+\/(.+)$/.exec(pathPart);
		assert.ok(m, `${where(link)}: a repository link must be ${HOMEPAGE}/blob/<branch>/<path>: ${target}`);
		return { file: path.join(ROOT, decodeURIComponent(m[1])), anchor };
	}
	if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // other schemes
	const hash = target.indexOf('#');
	const anchor = hash < 0 ? undefined : target.slice(hash + 1);
	target = hash < 0 ? target : target.slice(0, hash);
	const file = target === '' ? link.from : path.resolve(path.dirname(link.from), decodeURIComponent(target));
	return { file, anchor };
}

function where(link: Link): string {
	return `${path.relative(ROOT, link.from) || link.from}:${link.line}`;
}

const anchorCache = new Map<string, Set<string>>();
function check(link: Link): string | undefined {
	const resolved = resolve(link);
	if (!resolved) return undefined;
	if (!resolved.file.startsWith(ROOT)) return `${where(link)}: ${link.target} leaves the repository`;
	if (!fs.existsSync(resolved.file)) return `${where(link)}: ${link.target} → ${path.relative(ROOT, resolved.file)} does not exist`;
	if (resolved.anchor === undefined || resolved.anchor === '') return undefined;
	if (!resolved.file.endsWith('.md')) return undefined;
	let anchors = anchorCache.get(resolved.file);
	if (!anchors) anchorCache.set(resolved.file, (anchors = anchorsOf(resolved.file)));
	const anchor = decodeURIComponent(resolved.anchor).toLowerCase();
	if (!anchors.has(anchor)) {
		return `${where(link)}: #${resolved.anchor} is no heading in ${path.relative(ROOT, resolved.file)} (has: ${[...anchors].join(', ')})`;
	}
	return undefined;
}

function markdownFiles(): string[] {
	const top = fs.readdirSync(ROOT).filter((f) => f.endsWith('.md'));
	const docs = fs.existsSync(path.join(ROOT, 'docs'))
		? fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join('docs', f))
		: [];
	return [...top, ...docs].map((f) => path.join(ROOT, f));
}

/** The documentation links n8n shows: each node's codex primaryDocumentation and the credential's documentationUrl. */
function documentationLinks(): Link[] {
	const links: Link[] = [];
	for (const [json, nodeType] of [
		['nodes/KlickTippOutboundTrigger/KlickTippOutboundTrigger.node.json', new KlickTippOutboundTrigger()],
		['nodes/KlickTippOutbound/KlickTippOutbound.node.json', new KlickTippOutbound()],
	] as const) {
		const codex = JSON.parse(fs.readFileSync(path.join(ROOT, json), 'utf8')) as {
			resources?: { primaryDocumentation?: Array<{ url: string }> };
		};
		const urls = codex.resources?.primaryDocumentation?.map((d) => d.url) ?? [];
		assert.ok(urls.length > 0, `${json} has a primaryDocumentation link`);
		for (const url of urls) links.push({ from: path.join(ROOT, json), line: 0, target: url });
		const own = (nodeType.description as { documentationUrl?: string }).documentationUrl;
		if (own) links.push({ from: path.join(ROOT, json), line: 0, target: own });
	}
	const credential = new KlickTippOutboundApi();
	assert.ok(credential.documentationUrl, 'the credential has a documentationUrl');
	links.push({ from: path.join(ROOT, 'credentials/KlickTippOutboundApi.credentials.ts'), line: 0, target: credential.documentationUrl });
	return links;
}

describe('docs links', () => {
	it('GitHub anchor slugs', () => {
		assert.equal(githubSlug('Real n8n: `npm start` and the end-to-end tests'), 'real-n8n-npm-start-and-the-end-to-end-tests');
		assert.equal(githubSlug('Authentication (credential "KlickTipp Outbound API")'), 'authentication-credential-klicktipp-outbound-api');
		assert.equal(githubSlug('Run it in n8n (fresh machine: Node ≥ 20.15 and npm)'), 'run-it-in-n8n-fresh-machine-node--2015-and-npm');
		assert.equal(githubSlug('Worked example: KlickTipp → CRM'), 'worked-example-klicktipp--crm');
		assert.equal(githubSlug('The pinned runtimes (`n8n/<version>/`)'), 'the-pinned-runtimes-n8nversion');
		assert.equal(githubSlug('Größe & Söhne_2'), 'größe--söhne_2');
	});

	it('every relative link and anchor in the Markdown files resolves', () => {
		const files = markdownFiles();
		assert.ok(files.some((f) => f.endsWith('README.md')) && files.some((f) => f.endsWith('CONTRIBUTING.md')));
		const links = files.flatMap(linksOf);
		assert.ok(links.length >= 10, `found only ${links.length} links`);
		const problems = links.map(check).filter(Boolean);
		assert.deepEqual(problems, []);
	});

	it("the nodes' and the credential's documentation links point to existing files and headings of this repository", () => {
		const links = documentationLinks();
		for (const link of links) {
			assert.ok(link.target.startsWith(`${HOMEPAGE}/`) || link.target.startsWith(`${HOMEPAGE}#`), `${where(link)}: ${link.target} is not on ${HOMEPAGE}`);
		}
		assert.deepEqual(links.map(check).filter(Boolean), []);
	});

	it('a broken link or anchor is found (the checker itself)', () => {
		const readme = path.join(ROOT, 'README.md');
		assert.match(check({ from: readme, line: 1, target: 'docs/nope.md' }) ?? '', /does not exist/);
		assert.match(check({ from: readme, line: 1, target: 'docs/trigger.md#nope' }) ?? '', /no heading/);
		assert.match(check({ from: readme, line: 1, target: `${HOMEPAGE}#klicktipp-outbound-trigger` }) ?? '', /no heading in README\.md/);
		assert.equal(check({ from: readme, line: 1, target: `${HOMEPAGE}/blob/main/docs/trigger.md#answers` }), undefined);
		assert.equal(check({ from: readme, line: 1, target: 'https://example.com/x#y' }), undefined);
	});
});
