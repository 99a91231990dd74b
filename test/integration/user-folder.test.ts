/**
 * `npm test` writes nothing outside the repository and temp (issue 11): n8n-core creates its instance settings
 * (`.n8n/config` with an encryption key) under N8N_USER_FOLDER, or the home folder when that is unset. Each harness
 * that loads n8n-core is loaded in a child process with a fake HOME; n8n-core's InstanceSettings must live in a
 * temp folder and the fake home must stay empty.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('tests keep n8n-core out of the home folder', () => {
	for (const harness of ['execute-harness', 'webhook-harness']) {
		it(`test/helpers/${harness}.ts gives n8n-core a temp user folder`, () => {
			const home = fs.mkdtempSync(path.join(os.tmpdir(), 'klicktipp-fake-home-'));
			try {
				const script = `
					require(${JSON.stringify(path.join(ROOT, 'test', 'helpers', `${harness}.ts`))});
					const { Container } = require('@n8n/di');
					const { InstanceSettings } = require('n8n-core');
					const s = Container.get(InstanceSettings);
					process.stdout.write('\\nRESULT ' + JSON.stringify({ folder: s.n8nFolder, key: s.encryptionKey.length > 0 }));
				`;
				const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, USERPROFILE: home };
				delete env.N8N_USER_FOLDER;
				delete env.NODE_TEST_CONTEXT;
				const stdout = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, env, encoding: 'utf8' });
				const out = JSON.parse(/^RESULT (.*)$/m.exec(stdout)?.[1] ?? 'null');
				assert.equal(out.key, true);
				assert.ok(out.folder.startsWith(fs.realpathSync(os.tmpdir())) || out.folder.startsWith(os.tmpdir()), out.folder);
				assert.ok(!out.folder.startsWith(home), `n8n-core used the home folder: ${out.folder}`);
				assert.deepEqual(fs.readdirSync(home), [], 'nothing may be written to the home folder');
			} finally {
				fs.rmSync(home, { recursive: true, force: true });
			}
		});
	}
});
