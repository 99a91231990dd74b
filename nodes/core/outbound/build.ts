/**
 * Builds the complete request for one item (mapping → API key as static value → placeholders → encoding →
 * auth). Pure functions; no n8n imports.
 */
import type { AuthenticationMode, KlickTippCredential } from '../credential';
import type { EventKind } from '../events';
import { eventKindOf } from '../events';
import type { AuthorizedRequest } from './auth';
import { applyAuth, authParams, webhookIdFor } from './auth';
import type { OutboundFormat, OutboundMethod } from './encoding';
import { encodeRequest, jsonEncode } from './encoding';
import type { MappingConfig, OutboundParams } from './mapping';
import { OutboundParameterError } from './errors';
import { mapItem } from './mapping';
import { expandPlaceholders, withStandIns } from './placeholders';

export interface OutboundConfig {
	name: string;
	label: string;
	url: string;
	method: OutboundMethod;
	format: OutboundFormat;
	mapping: MappingConfig;
	authentication: AuthenticationMode;
	headers: Record<string, string>;
}

/** A request that cannot be built from the configuration (e.g. an invalid URL). */
export class RequestBuildError extends OutboundParameterError {}

/** The event of an input item; items without `event` count as contact data. */
export function eventOf(json: Record<string, unknown>): EventKind {
	return eventKindOf(json.event);
}

/** Validates the configured URL (before placeholders are replaced). Returns a message or null. */
export function urlProblem(url: string): string | null {
	const trimmed = (url ?? '').trim();
	if (trimmed === '') return 'The URL is empty';
	// Placeholders may stand anywhere; validate with neutral stand-ins.
	const probe = withStandIns(trimmed, 'x');
	let parsed: URL;
	try {
		parsed = new URL(probe);
	} catch {
		return `"${trimmed.slice(0, 200)}" is not a valid absolute URL (it must start with https:// or http://)`;
	}
	if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
		return `The URL must use https or http, not ${parsed.protocol.replace(':', '')}`;
	}
	if (parsed.username || parsed.password) {
		return 'The URL must not contain a username or password; use Authentication "Basic Auth" instead';
	}
	return null;
}

export interface BuiltRequest {
	params: OutboundParams;
	request: AuthorizedRequest;
	webhookId: string;
}

/**
 * Builds the exact request for one item. Throws an OutboundParameterError (MappingError, PlaceholderError,
 * RequestBuildError) naming the parameter at fault.
 */
export function buildRequest(
	json: Record<string, unknown>,
	config: OutboundConfig,
	credential: KlickTippCredential | undefined,
): BuiltRequest {
	const urlIssue = urlProblem(config.url);
	if (urlIssue) throw new RequestBuildError(urlIssue, 'url');
	const keyParams = authParams(config.authentication, credential);
	const params = mapItem(json, config.mapping, keyParams.map(([n]) => n));
	const all: OutboundParams = [...params, ...keyParams];
	const url = expandPlaceholders(config.url.trim(), all);
	const encoded = encodeRequest(config.method, config.format, url, all);
	const request = applyAuth(encoded, config.authentication, credential, config.headers);
	const eventId = typeof json.eventId === 'string' && json.eventId ? json.eventId : undefined;
	const webhookId = webhookIdFor(config.name, eventId, `${config.method} ${url} ${jsonEncode(params)}`);
	return { params, request, webhookId };
}
