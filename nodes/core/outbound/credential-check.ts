/**
 * Local check of a `klickTippOutboundApi` credential (n8n's "Test" button). KlickTipp offers nothing to test
 * against, so this validates what can be validated offline. Messages never contain secret values.
 * No n8n imports.
 */
import { signingKey } from '../signature';

export function credentialCheck(data: Record<string, unknown>): { ok: boolean; message: string } {
	const str = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : '');
	const problems: string[] = [];
	const usable: string[] = [];
	const apiKey = str('apiKey');
	if (apiKey) {
		const name = str('keyName').trim();
		const where = str('keyLocation') || 'body';
		if (!name) problems.push('the API key has no parameter name');
		else if (!['body', 'query', 'header'].includes(where)) problems.push('the API key location must be body, query or header');
		else if (where === 'header' && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) {
			problems.push(`"${name}" is not a valid HTTP header name`);
		} else if (apiKey.length < 16) problems.push('the API key is shorter than 16 characters (use a long random token)');
		else usable.push(`API key (${where} "${name}")`);
	}
	const username = str('username');
	const password = str('password');
	if (username || password) {
		if (!username) problems.push('Basic Auth has a password but no username');
		else if (!password) problems.push('Basic Auth has a username but no password');
		else if (username.includes(':')) problems.push('the Basic Auth username must not contain ":"');
		else usable.push('Basic Auth');
	}
	const secret = str('signingSecret');
	if (secret) {
		try {
			signingKey(secret);
			usable.push('signature');
		} catch (error) {
			problems.push(`signing secret: ${(error as Error).message}`);
		}
	}
	if (problems.length > 0) return { ok: false, message: `Problem: ${problems.join('; ')}` };
	if (usable.length === 0) return { ok: false, message: 'The credential is empty: fill in an API key, Basic Auth or a signing secret' };
	return { ok: true, message: `Usable for: ${usable.join(', ')} (checked locally; KlickTipp has no test endpoint)` };
}
