/**
 * Preloaded into n8n by `BENCH_CPU_PROF=<dir> npm run bench` (NODE_OPTIONS=--require …; Node 20 does not allow
 * --cpu-prof there): SIGUSR2 starts V8's CPU profiler, the next SIGUSR2 stops it and writes
 * <dir>/n8n-<pid>-<n>.cpuprofile, so only the load runs are profiled, not n8n's start-up.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const inspector = require('node:inspector');

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
	const session = new inspector.Session();
	session.connect();
	session.post('Profiler.enable');
	session.post('Profiler.setSamplingInterval', { interval: 500 });
	let running = false;
	let n = 0;
	process.on('SIGUSR2', () => {
		if (!running) {
			session.post('Profiler.start');
			running = true;
			return;
		}
		session.post('Profiler.stop', (error, result) => {
			running = false;
			if (error) return;
			const file = path.join(dir, `n8n-${process.pid}-${++n}.cpuprofile`);
			fs.writeFileSync(`${file}.tmp`, JSON.stringify(result.profile));
			fs.renameSync(`${file}.tmp`, file);
		});
	});
}
