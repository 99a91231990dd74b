/**
 * n8n in queue mode, the way users scale out: Redis (Bull queue) + PostgreSQL, one main (editor, REST, activation;
 * production webhooks disabled on it), one `n8n webhook` processor that receives the HTTP requests and enqueues
 * executions, and `n8n worker` processes that run them. All share one user folder (with our package installed in
 * `.n8n/nodes`) and one encryption key, as a shared volume and a shared secret would in production.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';

import {
	freePort,
	installPackageInto,
	N8nApi,
	spawnN8n,
	tempUserFolder,
	type N8nProcess,
} from './harness';
import { PostgresServer, RedisServer } from './services';

export interface QueueInstance {
	main: N8nProcess;
	webhook: N8nProcess;
	workers: N8nProcess[];
	redis: RedisServer;
	postgres: PostgresServer;
	api: N8nApi;
	userFolder: string;
	/** The environment every process of this instance shares (DB, Redis, encryption key, queue mode). */
	sharedEnv: Record<string, string>;
	version?: string;
	webhookBase: string;
	webhookUrl(p: string): string;
	stop(): Promise<void>;
}

export async function startQueue(
	opts: { version?: string; workers?: number; concurrency?: number; env?: Record<string, string> } = {},
): Promise<QueueInstance> {
	const redis = await new RedisServer().start();
	const postgres = await new PostgresServer().start();
	const userFolder = tempUserFolder('queue');
	installPackageInto(userFolder);
	const webhookPort = await freePort();
	const shared: Record<string, string> = {
		...postgres.env(),
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: '127.0.0.1',
		QUEUE_BULL_REDIS_PORT: String(redis.port),
		QUEUE_BULL_PREFIX: `klicktipp-e2e-${process.pid}`,
		N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
		WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/`,
		// the default (keep every execution) is what we read back; no pruning during the test
		EXECUTIONS_DATA_PRUNE: 'false',
		// n8n >= 2.x pings PostgreSQL every 2 s through the same pool and, when a ping cannot get a connection within
		// DB_PING_TIMEOUT_MS (5 s), marks the database "not ready": the webhook processor then answers every request
		// with 503 "Database is not ready!" (seen on 2.41.1 with a pool of 4 under 16 concurrent posts on 2 busy
		// cores). A pool larger than the concurrent requests, and a longer ping timeout, as a loaded production
		// instance would be configured (ignored by 2.4.8).
		DB_POSTGRESDB_POOL_SIZE: '20',
		DB_PING_TIMEOUT_MS: '20000',
		...opts.env,
	};
	const started: N8nProcess[] = [];
	const stopAll = async () => {
		await Promise.all(started.map(async (p) => await p.stop()));
		await redis.stop();
		await postgres.stop();
		if (!process.env.KLICKTIPP_E2E_KEEP) fs.rmSync(userFolder, { recursive: true, force: true });
	};
	try {
		// main first: it runs the migrations the others wait for
		const main = await spawnN8n({
			version: opts.version,
			userFolder,
			label: 'queue-main',
			env: { ...shared, N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true' },
		});
		started.push(main);
		const [webhook, ...workers] = await Promise.all([
			spawnN8n({ version: opts.version, userFolder, command: 'webhook', label: 'queue-webhook', port: webhookPort, env: shared }),
			...Array.from({ length: opts.workers ?? 2 }, async (_, i) =>
				await spawnN8n({
					version: opts.version,
					userFolder,
					command: 'worker',
					args: [`--concurrency=${opts.concurrency ?? 10}`],
					label: `queue-worker-${i + 1}`,
					env: shared,
				}),
			),
		]);
		started.push(webhook, ...workers);
		const api = new N8nApi(main.baseUrl);
		await api.setupOwnerAndLogin();
		await api.createApiKey();
		const webhookBase = webhook.baseUrl;
		return {
			main,
			webhook,
			workers,
			redis,
			postgres,
			api,
			userFolder,
			sharedEnv: shared,
			version: opts.version,
			webhookBase,
			webhookUrl: (p: string) => `${webhookBase}/webhook/${p}`,
			stop: stopAll,
		};
	} catch (e) {
		await stopAll();
		throw e;
	}
}
