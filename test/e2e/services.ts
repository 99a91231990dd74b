/**
 * Redis and PostgreSQL for the queue-mode e2e test, from the Debian packages (`apt-get install redis-server
 * postgresql`), started by the test itself on loopback, on free ports, with throw-away data folders, and stopped
 * afterwards. Nothing touches a system-wide Redis or PostgreSQL cluster.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { freePort, sleep } from './harness';

export function findRedisServer(): string | undefined {
	for (const p of ['/usr/bin/redis-server', '/usr/local/bin/redis-server']) if (fs.existsSync(p)) return p;
	const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
	return r.status === 0 ? r.stdout.trim() : undefined;
}

export function findPostgresBin(): string | undefined {
	const base = '/usr/lib/postgresql';
	if (!fs.existsSync(base)) return undefined;
	const versions = fs
		.readdirSync(base)
		.filter((v) => fs.existsSync(path.join(base, v, 'bin', 'pg_ctl')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(base, versions[0], 'bin') : undefined;
}

export function missingServices(): string[] {
	const missing: string[] = [];
	if (!findRedisServer()) missing.push('redis-server');
	if (!findPostgresBin()) missing.push('postgresql');
	return missing;
}

export class RedisServer {
	private child?: ChildProcess;
	port = 0;
	dir = '';

	async start(): Promise<this> {
		const bin = findRedisServer();
		if (!bin) throw new Error('redis-server is not installed (apt-get install -y redis-server)');
		this.port = await freePort();
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klicktipp-e2e-redis-'));
		this.child = spawn(
			bin,
			['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
			{ stdio: ['ignore', fs.openSync(path.join(this.dir, 'redis.log'), 'a'), 'ignore'] },
		);
		const deadline = Date.now() + 15_000;
		while (Date.now() < deadline) {
			const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), 'ping'], { encoding: 'utf8' });
			if (r.stdout?.trim() === 'PONG') return this;
			await sleep(100);
		}
		throw new Error(`redis did not start: ${fs.readFileSync(path.join(this.dir, 'redis.log'), 'utf8').slice(-500)}`);
	}

	cli(...args: string[]): string {
		return execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], { encoding: 'utf8' }).trim();
	}

	async stop(): Promise<void> {
		if (!this.child || this.child.exitCode !== null) return;
		const done = new Promise((r) => this.child!.once('exit', r));
		this.child.kill('SIGTERM');
		await done;
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}

/** A private PostgreSQL cluster (initdb into a temp folder, trust auth on 127.0.0.1 only), run as `postgres` when root. */
export class PostgresServer {
	port = 0;
	dir = '';
	readonly user = 'postgres';
	readonly database = 'n8n';
	private bin = '';

	private run(cmd: string, args: string[]): string {
		const asRoot = process.getuid?.() === 0;
		const file = asRoot ? 'runuser' : path.join(this.bin, cmd);
		const argv = asRoot ? ['-u', 'postgres', '--', path.join(this.bin, cmd), ...args] : args;
		const r = spawnSync(file, argv, { encoding: 'utf8', cwd: os.tmpdir() });
		if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
		return r.stdout;
	}

	async start(): Promise<this> {
		const bin = findPostgresBin();
		if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
		this.bin = bin;
		this.port = await freePort();
		this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'klicktipp-e2e-pg-'));
		fs.chmodSync(this.dir, 0o700);
		if (process.getuid?.() === 0) execFileSync('chown', ['postgres:', this.dir]);
		this.run('initdb', ['-D', path.join(this.dir, 'data'), '-U', this.user, '--auth=trust', '-E', 'UTF8', '--no-sync']);
		this.run('pg_ctl', [
			'-D',
			path.join(this.dir, 'data'),
			'-l',
			path.join(this.dir, 'postgres.log'),
			'-w',
			'-t',
			'60',
			'-o',
			`-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`,
			'start',
		]);
		this.run('createdb', ['-h', '127.0.0.1', '-p', String(this.port), '-U', this.user, this.database]);
		return this;
	}

	/** One SQL statement through `psql` against the test database; the rows as tab-separated lines, unaligned. */
	query(sql: string): string {
		return this.run('psql', ['-h', '127.0.0.1', '-p', String(this.port), '-U', this.user, '-d', this.database, '-At', '-c', sql]).trim();
	}

	env(): Record<string, string> {
		return {
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(this.port),
			DB_POSTGRESDB_DATABASE: this.database,
			DB_POSTGRESDB_USER: this.user,
			DB_POSTGRESDB_PASSWORD: '',
		};
	}

	async stop(): Promise<void> {
		if (!this.dir) return;
		try {
			this.run('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
		} catch {
			/* already stopped */
		}
		fs.rmSync(this.dir, { recursive: true, force: true });
		this.dir = '';
	}
}
