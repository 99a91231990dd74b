import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { credentialTest, type KlickTippCredential } from '../core/credential';

/**
 * n8n's credential "Test" for `klickTippOutboundApi` (declared via `testedBy: 'klickTippOutboundApiTest'`), shared by
 * both nodes. KlickTipp has no endpoint to test against: see credentialTest in core/credential.ts.
 */
export async function klickTippOutboundApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const result = credentialTest((credential.data ?? {}) as KlickTippCredential);
	return { status: result.ok ? 'OK' : 'Error', message: result.message };
}
