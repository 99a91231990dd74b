import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';

import { credentialCheck } from '../core/outbound/credential-check';

/**
 * n8n's credential "Test" for `klickTippOutboundApi` (declared via `testedBy: 'klickTippOutboundApiTest'`).
 * KlickTipp has no endpoint to test against, so the credential is checked locally: a signing secret must
 * decode, an API key needs a name and a location, Basic Auth needs both username and password.
 * Shared so every node that uses the credential (the trigger too) can declare the same test.
 */
export async function klickTippOutboundApiTest(
	this: ICredentialTestFunctions,
	credential: ICredentialsDecrypted,
): Promise<INodeCredentialTestResult> {
	const result = credentialCheck((credential.data ?? {}) as Record<string, unknown>);
	return { status: result.ok ? 'OK' : 'Error', message: result.message };
}
