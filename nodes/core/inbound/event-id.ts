/**
 * Stable event ids and removal of secrets from received parameters. No n8n imports.
 */
import { createHash } from 'crypto';
import { redactDeep, secretMatcher } from '../secrets';
import type { Params } from './types';
import { emptyParams } from './types';

function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value !== null && typeof value === 'object') {
		const keys = Object.keys(value).sort();
		return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
	}
	return JSON.stringify(value) ?? 'null';
}

/**
 * The event id: the sender's `webhook-id` when the request was signed, otherwise `evt_` + the first 32 hex
 * characters of SHA-256 over the parameters (sorted by name, secrets already removed). The same parameters
 * always give the same id, whatever their order or the body format.
 */
export function computeEventId(params: Params, webhookId?: string): string {
	if (typeof webhookId === 'string' && webhookId !== '') return webhookId;
	return `evt_${createHash('sha256').update(canonical(params), 'utf8').digest('hex').slice(0, 32)}`;
}

export interface SecretFilter {
	/** The credential's API Key Parameter Name (removed in any letter case). */
	keyName?: string;
	/** Secret values: a parameter holding one of them is removed; one embedding it is masked. */
	secrets: readonly string[];
}

function holdsSecret(value: unknown, isSecret: (value: unknown) => boolean): boolean {
	if (typeof value === 'string') return isSecret(value.trim());
	if (Array.isArray(value)) return value.some((v) => holdsSecret(v, isSecret));
	return false;
}

/**
 * Removes the API key parameter, any `Authorization` parameter and every parameter whose value equals a
 * credential secret, then masks secrets embedded anywhere else. Returns a new null-prototype map.
 */
export function stripSecrets(params: Params, filter: SecretFilter): Params {
	const keyName = filter.keyName?.toLowerCase();
	const isSecret = secretMatcher(filter.secrets);
	const kept = emptyParams();
	for (const [key, value] of Object.entries(params)) {
		const lower = key.toLowerCase();
		if (lower === 'authorization') continue;
		if (keyName && lower === keyName) continue;
		if (holdsSecret(value, isSecret)) continue;
		kept[key] = value;
	}
	// the caller's own list, so the spellings secretForms derives for it are derived once per request
	const masked = redactDeep({ ...kept }, filter.secrets);
	const out = emptyParams();
	for (const [key, value] of Object.entries(masked)) out[key] = value;
	return out;
}
