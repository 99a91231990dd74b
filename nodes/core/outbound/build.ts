/**
 * Builds the complete request for one item (mapping → placeholders → encoding → the request before authentication
 * → the credential applied). Pure functions; no n8n imports.
 */
import type { AuthenticationMode, KlickTippCredential } from '../credential';
import type { EventKind } from '../events';
import { eventKindOf } from '../events';
import type { AuthorizedRequest, ReplayRequest } from './auth';
import { authParamNames, authorize, replayRequest, webhookIdFor } from './auth';
import type { OutboundFormat, OutboundMethod } from './encoding';
import { encodeRequest, jsonEncode } from './encoding';
import type { MappingConfig, OutboundParams } from './mapping';
import { OutboundParameterError } from './errors';
import { mapItem } from './mapping';
import { PlaceholderError, expandPlaceholders, placeholderNames, withStandIns } from './placeholders';
import type { TypedSecrets } from './secret-values';
import { typedSecrets } from './secret-values';

export interface OutboundConfig {
	name: string;
	label: string;
	url: string;
	method: OutboundMethod;
	format: OutboundFormat;
	mapping: MappingConfig;
	authentication: AuthenticationMode;
	headers: Record<string, string>;
	/** The header (lower case) that carries the webhook-id on every request; '' or absent = none. */
	idempotencyHeader?: string;
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
	/** The request before authentication: what the record keeps and Redeliver sends again. */
	replay: ReplayRequest;
	/** The request with the credential applied (no signature yet: that is added per attempt). */
	request: AuthorizedRequest;
	webhookId: string;
	/** The secrets typed into Headers and Static Values: masked in the record (see secret-values.ts). */
	secrets: TypedSecrets;
}

/** The secrets typed into an item's Headers and Static Values (see secret-values.ts). */
export function configSecrets(config: Pick<OutboundConfig, 'headers' | 'mapping'>): TypedSecrets {
	return typedSecrets(config.headers, config.mapping.staticValues);
}

/**
 * The URL with its placeholders replaced by the request's own parameters. The API key cannot be put into the URL
 * this way: the URL before authentication is kept in every record, which must never hold a secret.
 */
function expandUrl(url: string, params: OutboundParams, keyNames: string[]): string {
	const key = placeholderNames(url).find((name) => keyNames.includes(name));
	if (key !== undefined) {
		throw new PlaceholderError(
			`The placeholder __${key}__ would put the API key into the URL, which every delivery record keeps; set the credential's API Key Location to "URL Query Parameter" instead`,
			[key],
		);
	}
	return expandPlaceholders(url, params);
}

/**
 * The configured headers plus the idempotency header carrying the stable webhook-id, whatever the authentication, so
 * a receiver can tell a request sent again (our retries, Redeliver, a Retry of the execution) from a new one. A
 * header of the same name configured under Headers wins; a signed request gets Standard Webhooks' `webhook-id` too.
 */
export function withIdempotencyHeader(
	headers: Record<string, string>,
	headerName: string | undefined,
	webhookId: string,
): Record<string, string> {
	if (!headerName || headerName in headers) return headers;
	return { ...headers, [headerName]: webhookId };
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
	const keyNames = authParamNames(config.authentication, credential);
	const params = mapItem(json, config.mapping, keyNames);
	const url = expandUrl(config.url.trim(), params, keyNames);
	const encoded = encodeRequest(config.method, config.format, url, params);
	const eventId = typeof json.eventId === 'string' && json.eventId ? json.eventId : undefined;
	const webhookId = webhookIdFor(config.name, eventId, `${config.method} ${url} ${jsonEncode(params)}`);
	const headers = withIdempotencyHeader(config.headers, config.idempotencyHeader, webhookId);
	const replay = replayRequest(encoded, headers, webhookId, config.authentication);
	return { params, replay, request: authorize(replay, credential), webhookId, secrets: configSecrets(config) };
}
