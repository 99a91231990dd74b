/**
 * n8n's package scanner (@n8n/scan-community-package, the gate for verified community nodes and n8n Cloud) on
 * this package, the way it scans a published version: its command line takes only published names, so the test
 * calls the analysis it exports (`analyzePackage`: the scanner's own ESLint rule set, both plugins, no-console,
 * inline configuration off) on
 * - the packed tarball (`npm pack`, unpacked to a temp folder): compiled `.js` and the published package.json;
 * - the source, with the patterns the scanner uses for the provenance-attested checkout (package.json,
 *   nodes/ and credentials/).
 * Zero findings. A control proves the scan is live: an `eslint-disable`d console.log slipped into the tarball is found.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { analyzePackage, SOURCE_FILE_PATTERNS } from '@n8n/scan-community-package/scanner/scanner.mjs';
import tmp from 'tmp';

// The scanner makes a temp folder when it is loaded (for packages it downloads); remove it when the test exits.
tmp.setGracefulCleanup();

const ROOT = path.resolve(__dirname, '..', '..');
const DIST_PATTERNS = ['**/*.js', 'package.json'];

describe("n8n's package scanner on the packed package", () => {
	let work: string;
	let unpacked: string;

	before(() => {
		assert.ok(fs.existsSync(path.join(ROOT, 'dist')), 'dist/ is missing: run `npm run build` first');
		work = fs.mkdtempSync(path.join(os.tmpdir(), 'klicktipp-scan-'));
		const packed = JSON.parse(
			execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8' }),
		) as Array<{ filename: string }>;
		unpacked = path.join(work, 'package');
		execFileSync('tar', ['-xzf', path.join(work, packed[0].filename), '-C', work]);
		assert.ok(fs.existsSync(path.join(unpacked, 'package.json')));
	});
	after(() => {
		fs.rmSync(work, { recursive: true, force: true });
	});

	it('the tarball: zero findings', async () => {
		const result = await analyzePackage(unpacked, DIST_PATTERNS);
		assert.equal(result.passed, true, `${result.message ?? ''}\n${result.details ?? ''}`);
		assert.equal(result.message, undefined, 'files were found and analysed');
	});

	it('the source (what the scanner lints in the attested checkout): zero findings', async () => {
		const result = await analyzePackage(ROOT, SOURCE_FILE_PATTERNS);
		assert.equal(result.passed, true, `${result.message ?? ''}\n${result.details ?? ''}`);
		assert.equal(result.message, undefined, 'files were found and analysed');
	});

	it('control: a finding in the tarball is reported, and an eslint-disable comment does not hide it', async () => {
		const copy = path.join(work, 'tampered');
		fs.cpSync(unpacked, copy, { recursive: true });
		const file = path.join(copy, 'dist', 'nodes', 'KlickTippOutbound', 'KlickTippOutbound.node.js');
		fs.appendFileSync(file, '\n// eslint-disable-next-line no-console\nconsole.log("debug");\n');
		const result = await analyzePackage(copy, DIST_PATTERNS);
		assert.equal(result.passed, false);
		assert.match(result.details ?? '', /no-console/);
	});
});
