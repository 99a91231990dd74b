// One rule set: n8n's own. `npm run lint` uses exactly the configuration n8n's package scanner
// (@n8n/scan-community-package, the gate for verified community nodes and n8n Cloud) lints with:
// @n8n/eslint-plugin-community-nodes (recommended), eslint-plugin-n8n-nodes-base (community, credentials and
// nodes rule sets) and no-console. Its few "off" entries are n8n's own choices, not ours; we disable nothing,
// and the scanner lints with inline configuration off, so an eslint-disable comment would not help anyway.
// test/verify/scan.test.ts runs the scanner itself on the packed tarball.
import { buildScanConfig } from '@n8n/scan-community-package/scanner/scanner.mjs';
import tmp from 'tmp';

// The scanner makes a temp folder when it is loaded (for packages it downloads); remove it when lint exits.
tmp.setGracefulCleanup();

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', 'scripts/**', 'bench/**', 'eslint.config.mjs', 'gulpfile.js'] },
	...(await buildScanConfig()),
];
