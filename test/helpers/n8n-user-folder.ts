/**
 * n8n-core keeps its instance settings (an encryption key) in `<N8N_USER_FOLDER>/.n8n/config`, by default in the
 * home folder. Tests must not write outside the repository and temp: every harness that loads n8n-core imports
 * this module first, which points N8N_USER_FOLDER at a fresh temp folder (removed at exit) before n8n-core reads it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEST_N8N_USER_FOLDER = fs.mkdtempSync(path.join(os.tmpdir(), 'klicktipp-test-n8n-'));
process.env.N8N_USER_FOLDER = TEST_N8N_USER_FOLDER;
process.on('exit', () => fs.rmSync(TEST_N8N_USER_FOLDER, { recursive: true, force: true }));
