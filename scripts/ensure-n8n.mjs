#!/usr/bin/env node
// Installs a pinned n8n runtime (n8n/<version>/package.json + its lockfile) into a cache folder outside the
// project's node_modules, once. A marker file written after a successful, verified install means "complete":
// later calls return at once and never reinstall.
//
//   node scripts/ensure-n8n.mjs [version ...]      (default: the newest folder under n8n/, i.e. 2.41.1)
//   KLICKTIPP_N8N_CACHE=/some/dir node scripts/ensure-n8n.mjs 1.123.81
//
// The Node a runtime needs is written in one place: `engines.node` in n8n/<version>/package.json. An exact version
// (2.41.1: "24.22.3") is installed from the npm registry (package `node-<platform>-<arch>`, the binary the `node`
// package itself downloads) into the same cache folder, and n8n is installed, verified and run with it. A major
// ("20.x") means the Node running this script, which must be that major. Our package itself builds on Node 20.
//
// Programmatic use (the e2e harness, scripts/start.mjs): `import { ensureN8n } from './ensure-n8n.mjs'`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The newest pinned runtime (by version number) is the default. */
export const DEFAULT_N8N_VERSION = pinnedVersions().at(-1);
const MARKER = '.klicktipp-install-complete.json';
/** Measured first-install time of one runtime on a 2-core machine (docs/real-n8n.md), for the progress message. */
export const INSTALL_MINUTES = '4-7';

export function cacheRoot() {
	return process.env.KLICKTIPP_N8N_CACHE || path.join(os.homedir(), '.cache', 'n8n-nodes-klicktipp-outbound');
}

/** The versions under n8n/, oldest first. */
export function pinnedVersions() {
	const num = (v) => v.split('.').map(Number);
	return fs
		.readdirSync(path.join(ROOT, 'n8n'))
		.filter((v) => /^\d+\.\d+\.\d+$/.test(v) && fs.existsSync(path.join(ROOT, 'n8n', v, 'package.json')))
		.sort((a, b) => {
			const [x, y] = [num(a), num(b)];
			return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
		});
}

export function runtimeDir(version) {
	return path.join(cacheRoot(), `n8n-${version}`);
}

export function n8nBin(version) {
	return path.join(runtimeDir(version), 'node_modules', 'n8n', 'bin', 'n8n');
}

function specFor(version) {
	const dir = path.join(ROOT, 'n8n', version);
	const pkgPath = path.join(dir, 'package.json');
	if (!fs.existsSync(pkgPath)) {
		const known = fs.readdirSync(path.join(ROOT, 'n8n')).join(', ');
		throw new Error(`No pinned runtime for n8n ${version}: ${pkgPath} is missing (known: ${known})`);
	}
	const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
	// What makes two installs equal: the dependency pins and overrides (not descriptions or script approvals).
	const fingerprint = createHash('sha256')
		.update(JSON.stringify({ dependencies: pkg.dependencies, overrides: pkg.overrides ?? {} }))
		.digest('hex');
	const lockPath = path.join(dir, 'package-lock.json');
	return { pkg, pkgPath, lockPath: fs.existsSync(lockPath) ? lockPath : undefined, fingerprint };
}

/** The Node a runtime needs, from `engines.node` of n8n/<version>/package.json: an exact version to install, or
 *  undefined when the Node running this script is the one (its major is checked). */
export function requiredNode(version) {
	const want = specFor(version).pkg.engines?.node;
	if (!want) return undefined;
	if (/^\d+\.\d+\.\d+$/.test(want)) return want === process.versions.node ? undefined : want;
	const major = /^(\d+)(\.x)?$/.exec(want)?.[1];
	if (!major) throw new Error(`n8n/${version}/package.json: engines.node must be "24.22.3" or "20.x", not ${want}`);
	if (process.versions.node.split('.')[0] !== major) {
		throw new Error(`n8n ${version} runs on Node ${major}.x (engines.node), this is Node ${process.versions.node}`);
	}
	return undefined;
}

/** npm's platform package for the Node binary (what the `node` package's installer downloads). */
function nodePackageName() {
	const platform = process.platform === 'win32' ? 'win' : process.platform;
	return `node-${platform}-${process.arch}`;
}

export function nodeDir(nodeVersion) {
	return path.join(cacheRoot(), `node-${nodeVersion}`);
}

/** The package folder (bin/node, include/node for node-gyp) of an installed Node. */
function nodePackageDir(nodeVersion) {
	return path.join(nodeDir(nodeVersion), 'node_modules', nodePackageName());
}

export function nodeBinFor(nodeVersion) {
	return path.join(nodePackageDir(nodeVersion), 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
}

/** Installs Node `nodeVersion` from the npm registry into the cache once; returns the path of its binary. */
export async function ensureNode(nodeVersion) {
	const dir = nodeDir(nodeVersion);
	const bin = nodeBinFor(nodeVersion);
	const works = () => spawnSync(bin, ['-v'], { encoding: 'utf8' }).stdout?.trim() === `v${nodeVersion}`;
	if (fs.existsSync(path.join(dir, MARKER)) && works()) return bin;
	fs.mkdirSync(cacheRoot(), { recursive: true });
	const release = await acquireLock(`${dir}.lock`);
	try {
		if (fs.existsSync(path.join(dir, MARKER)) && works()) return bin;
		const started = Date.now();
		const tmp = `${dir}.partial`;
		fs.rmSync(tmp, { recursive: true, force: true });
		fs.mkdirSync(tmp, { recursive: true });
		fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ private: true }));
		const spec = `${nodePackageName()}@${nodeVersion}`;
		log(`installing Node ${nodeVersion} (npm package ${spec}) into ${dir}`);
		const r = spawnSync(
			'npm',
			['install', spec, '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=warn'],
			{ cwd: tmp, encoding: 'utf8' },
		);
		if (r.status !== 0) throw new Error(`npm install ${spec} failed (exit ${r.status}):\n${r.stderr}`);
		fs.rmSync(dir, { recursive: true, force: true });
		fs.renameSync(tmp, dir);
		if (!works()) throw new Error(`${bin} is not Node ${nodeVersion}`);
		const seconds = Math.round((Date.now() - started) / 1000);
		fs.writeFileSync(path.join(dir, MARKER), JSON.stringify({ node: nodeVersion, installSeconds: seconds }, null, 2));
		log(`Node ${nodeVersion} installed in ${seconds}s`);
		return bin;
	} finally {
		release();
	}
}

function log(msg) {
	process.stderr.write(`[ensure-n8n] ${msg}\n`);
}

/** Loads sqlite3 and n8n's package.json from the runtime folder; returns an error text or undefined. */
function verify(dir, version, nodeBin = process.execPath) {
	const script = `
		const v = require('n8n/package.json').version;
		if (v !== ${JSON.stringify(version)}) { console.error('n8n version is ' + v); process.exit(2); }
		require('sqlite3');
	`;
	const r = spawnSync(nodeBin, ['-e', script], { cwd: dir, encoding: 'utf8' });
	if (r.status !== 0) return (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').slice(0, 5).join('\n');
	if (!fs.existsSync(path.join(dir, 'node_modules', 'n8n', 'bin', 'n8n'))) return 'node_modules/n8n/bin/n8n is missing';
	return undefined;
}

function readMarker(dir) {
	try {
		return JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
	} catch {
		return undefined;
	}
}

function writeMarker(dir, version, fingerprint, node, extra = {}) {
	const nodeVersion = spawnSync(node, ['-v'], { encoding: 'utf8' }).stdout.trim();
	fs.writeFileSync(
		path.join(dir, MARKER),
		JSON.stringify(
			{ version, fingerprint, completedAt: new Date().toISOString(), node: nodeVersion, nodeBin: node, ...extra },
			null,
			2,
		),
	);
}

function dirSizeMb(dir) {
	const r = spawnSync('du', ['-sm', dir], { encoding: 'utf8' });
	return r.status === 0 ? Number(r.stdout.split(/\s/)[0]) : NaN;
}

function countPackages(nm) {
	let n = 0;
	try {
		for (const e of fs.readdirSync(nm)) {
			if (e.startsWith('.')) continue;
			if (e.startsWith('@')) n += fs.readdirSync(path.join(nm, e)).length;
			else n++;
		}
	} catch {
		/* not there yet */
	}
	return n;
}

async function acquireLock(lockFile) {
	for (;;) {
		try {
			fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
			return () => fs.rmSync(lockFile, { force: true });
		} catch (e) {
			if (e.code !== 'EEXIST') throw e;
			const pid = Number(fs.readFileSync(lockFile, 'utf8'));
			let alive = false;
			try {
				process.kill(pid, 0);
				alive = true;
			} catch {
				alive = false;
			}
			if (!alive) {
				fs.rmSync(lockFile, { force: true });
				continue;
			}
			log(`another install (pid ${pid}) is running; waiting for it`);
			await new Promise((r) => setTimeout(r, 5000));
		}
	}
}

/**
 * Makes sure n8n `version` is installed and complete in the cache; installs it on first use.
 * Runs under the Node `engines.node` names (installed from the npm registry first when needed).
 * @returns {Promise<{ version: string, dir: string, bin: string, node: string, nodeVersion: string, installed: boolean,
 *   seconds: number }>}
 */
export async function ensureN8n(version = DEFAULT_N8N_VERSION) {
	const spec = specFor(version);
	const dir = runtimeDir(version);
	const bin = n8nBin(version);
	const nodeVersion = requiredNode(version);
	const node = nodeVersion ? await ensureNode(nodeVersion) : process.execPath;
	const ready = { version, dir, bin, node, nodeVersion: nodeVersion ?? process.versions.node, installed: false, seconds: 0 };
	const marker = readMarker(dir);
	if (marker && marker.fingerprint === spec.fingerprint && fs.existsSync(bin)) return ready;
	fs.mkdirSync(cacheRoot(), { recursive: true });
	const release = await acquireLock(`${dir}.lock`);
	try {
		const again = readMarker(dir);
		if (again && again.fingerprint === spec.fingerprint && fs.existsSync(bin)) return ready;
		// A folder installed before markers existed (or by hand) from the same pins: adopt it if it verifies.
		if (!again && fs.existsSync(path.join(dir, 'package.json'))) {
			const existing = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
			const same =
				JSON.stringify(existing.dependencies) === JSON.stringify(spec.pkg.dependencies) &&
				JSON.stringify(existing.overrides ?? {}) === JSON.stringify(spec.pkg.overrides ?? {});
			if (same && !verify(dir, version, node)) {
				log(`n8n ${version} found complete in ${dir}; recording it`);
				writeMarker(dir, version, spec.fingerprint, node, { adopted: true });
				return ready;
			}
		}
		return await install(version, spec, dir, bin, node, nodeVersion);
	} finally {
		release();
	}
}

/**
 * What an installed runtime recorded when its install completed and verified (its Node binary among it), or
 * undefined when it is not installed.
 */
export function installRecord(version) {
	const marker = readMarker(runtimeDir(version));
	return marker && fs.existsSync(n8nBin(version)) ? marker : undefined;
}

/** The install log while installing (in the `.partial` folder) and after (in the runtime folder). */
export function installLogPaths(version) {
	return { during: path.join(`${runtimeDir(version)}.partial`, 'install.log'), after: path.join(runtimeDir(version), 'install.log') };
}

async function install(version, spec, dir, bin, node, nodeVersion) {
	const started = Date.now();
	const tmp = `${dir}.partial`;
	fs.rmSync(tmp, { recursive: true, force: true });
	fs.mkdirSync(tmp, { recursive: true });
	fs.copyFileSync(spec.pkgPath, path.join(tmp, 'package.json'));
	if (spec.lockPath) fs.copyFileSync(spec.lockPath, path.join(tmp, 'package-lock.json'));
	// `npm install` with the committed lockfile present installs the locked versions. (`npm ci` refuses these
	// lockfiles: npm records only the current platform's optional packages, e.g. @msgpackr-extract/*-linux-x64,
	// and then calls the others "missing from lock file".) Install scripts run only where the runtime's
	// `allowScripts` says true (sqlite3); the others (a Kafka client downloading a prebuilt binary, isolated-vm,
	// telemetry) are denied there.
	const args = ['install'];
	args.push('--no-audit', '--no-fund', '--no-update-notifier', '--omit=dev', '--loglevel=warn');
	const logPath = installLogPaths(version).during;
	log(
		`installing n8n ${version} on Node ${nodeVersion ?? process.versions.node} into ${dir} (npm ${args[0]}; ` +
			`about ${INSTALL_MINUTES} minutes and 1.7-2.3 GB on first use; log while installing: ${logPath})`,
	);
	const out = fs.openSync(logPath, 'w');
	// This project's .npmrc sets ignore-scripts=true, and npm hands that to every script it runs (`npm start`) as
	// npm_config_ignore_scripts; the runtime needs its install scripts (sqlite3; the rest is decided by its allowScripts).
	const env = {
		...process.env,
		npm_config_update_notifier: 'false',
		npm_config_progress: 'false',
		npm_config_ignore_scripts: 'false',
	};
	// sqlite3 compiles with node-gyp when no prebuilt binary can be downloaded (registry-only machines). node-gyp
	// would download Node's headers from nodejs.org; point it at the headers installed with Node instead. A Node
	// from the npm registry ships them (include/node); it also goes first on PATH so install scripts build for it.
	if (nodeVersion) {
		env.PATH = `${path.dirname(node)}${path.delimiter}${env.PATH ?? ''}`;
		env.npm_config_nodedir = path.dirname(path.dirname(node));
		env.npm_config_engine_strict = 'false';
	} else {
		const prefix = path.dirname(path.dirname(process.execPath));
		if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) {
			env.npm_config_nodedir = prefix;
		}
	}
	const child = spawn('npm', args, { cwd: tmp, stdio: ['ignore', out, out], env });
	const ticker = setInterval(() => {
		const secs = Math.round((Date.now() - started) / 1000);
		const pkgs = countPackages(path.join(tmp, 'node_modules'));
		const building = fs.existsSync(path.join(tmp, 'node_modules', 'sqlite3', 'build')) ? ', building sqlite3' : '';
		log(`n8n ${version}: ${secs}s, ${pkgs} packages, ${dirSizeMb(tmp)} MB${building}`);
	}, 15000);
	const code = await new Promise((resolve) => child.on('close', resolve));
	clearInterval(ticker);
	fs.closeSync(out);
	if (code !== 0) {
		const tail = fs.readFileSync(logPath, 'utf8').split('\n').slice(-30).join('\n');
		throw new Error(`npm ${args[0]} for n8n ${version} failed (exit ${code}); kept ${tmp} for inspection:\n${tail}`);
	}
	const problem = verify(tmp, version, node);
	if (problem) throw new Error(`n8n ${version} installed but does not load (${problem}); kept ${tmp}`);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.renameSync(tmp, dir);
	const seconds = Math.round((Date.now() - started) / 1000);
	writeMarker(dir, version, spec.fingerprint, node, { installSeconds: seconds });
	log(`n8n ${version} installed in ${seconds}s (${dirSizeMb(dir)} MB); log: ${installLogPaths(version).after}`);
	return { version, dir, bin, node, nodeVersion: nodeVersion ?? process.versions.node, installed: true, seconds };
}

/** The command line: installs each version given (default: the newest), one after the other. */
async function main(versions) {
	for (const v of versions.length ? versions : [DEFAULT_N8N_VERSION]) {
		const r = await ensureN8n(v);
		log(`n8n ${v} ready: ${r.node} ${r.bin}${r.installed ? ` (installed in ${r.seconds}s)` : ' (cached)'}`);
	}
}

// No top-level await: the TypeScript e2e harness loads this module with require().
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	main(process.argv.slice(2)).catch((e) => {
		log(e.message);
		process.exit(1);
	});
}
