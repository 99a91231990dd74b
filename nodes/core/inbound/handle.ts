/**
 * The whole decision for one incoming request, as a plain function: IP allowlist → parse → authenticate → remove secrets →
 * classify → normalize → 422 check → test event → duplicate → accept. The node only reads its parameters,
 * calls this, writes the answer and hands the item to n8n. Never throws. No n8n imports.
 */
import { apiKeyLocation, authenticationModeOf, credentialFields, credentialSecretValues, type KlickTippCredential } from '../credential';
import type { EventKind } from '../events';
import { isSecretHeader, redact, redactDeep } from '../secrets';
import { authenticate } from './authenticate';
import { classifyEvent, DEFAULT_EVENT_PARAMETER, isTestEvent } from './classify';
import type { DedupeStore } from './dedupe';
import { ipAllowed, parseAllowlist } from './ip-allowlist';
import { computeEventId, stripSecrets } from './event-id';
import { normalizeContactWithUse, parseParameterNames, type Contact } from './normalize';
import { parseRequest, type InboundRequest } from './parse';
import type { EventTypeSetting, Params, Rejection } from './types';
import { reject } from './types';

export const DEFAULT_DEDUPE_SECONDS = 60;

export interface TriggerConfig {
	/** The "Authentication" parameter as set; anything but a known mode is refused with 401. */
	authentication: string;
	eventType: EventTypeSetting | string;
	eventParameter?: string;
	/** Answer KlickTipp's "Save and test" request (contact 12345) with 200 and start nothing. */
	ignoreTestEvents?: boolean;
	/** Duplicate window in seconds; 0 switches de-duplication off. */
	dedupeSeconds?: number;
	/** Add the raw body (secrets masked) as `rawBody` to the item. */
	includeRawBody?: boolean;
	/** Add the request headers (authentication headers masked) as `request.headers`. */
	includeHeaders?: boolean;
	/** The "Parameter Names" option as n8n hands it: renamed parameters → fields of the contact (see normalize.ts). */
	parameterNames?: unknown;
	/** The "IP Allowlist" option: addresses and CIDR ranges, empty = everyone (see ip-allowlist.ts). */
	ipAllowlist?: unknown;
}

export interface IncomingRequest extends InboundRequest {
	headers: Record<string, string | string[] | undefined>;
	/** The client address as Express computes it under n8n's trust-proxy setting (`req.ip`). */
	ip?: string;
	/** The forwarded addresses Express trusts under that setting (`req.ips`; empty without a trusted proxy). */
	ips?: string[];
}

export interface HandleDeps {
	credential?: KlickTippCredential;
	nowMs?: number;
	dedupe?: { store: DedupeStore; scope: string };
}

export interface TriggerItemJson {
	event: EventKind;
	eventId: string;
	isTest: boolean;
	receivedAt: string;
	contact: Contact;
	params: Record<string, unknown>;
	request: { method: string; contentType: string; query: Record<string, unknown>; headers?: Record<string, unknown> };
	rawBody?: string;
	/** Received parameters the contact did not use (only when there are any), with a hint what to do. */
	unmappedParameters?: string[];
	hint?: string;
}

export type AnswerStatus = 'accepted' | 'duplicate' | 'ignored-test';

export interface RejectedOutcome {
	kind: 'rejected';
	httpStatus: Rejection['status'];
	headers: Record<string, string>;
	body: { status: 'rejected'; code: number; reason: string };
}

export interface AnsweredOutcome {
	kind: AnswerStatus;
	httpStatus: 200;
	headers: Record<string, string>;
	body: { status: AnswerStatus; event: EventKind; eventId: string; isTest: boolean };
	/** Present only for `accepted`: the item to emit. */
	item?: TriggerItemJson;
	/** The output the item goes to: 1 only for a deletion request with eventType `auto`. */
	output: 0 | 1;
}

export type Outcome = RejectedOutcome | AnsweredOutcome;

/** Headers whose values are never copied into an item. */
const SENSITIVE_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'webhook-signature'];

function rejected(r: Rejection, secrets: readonly string[]): RejectedOutcome {
	const reason = redact(r.reason, secrets);
	return {
		kind: 'rejected',
		httpStatus: r.status,
		headers: r.headers ?? {},
		body: { status: 'rejected', code: r.status, reason },
	};
}

function plain(params: Params): Record<string, unknown> {
	return Object.fromEntries(Object.entries(params));
}

function safeHeaders(
	headers: Record<string, string | string[] | undefined>,
	apiKeyHeader: string | undefined,
	secrets: readonly string[],
): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(headers)) {
		const lower = name.toLowerCase();
		if (SENSITIVE_HEADERS.includes(lower) || lower === apiKeyHeader || isSecretHeader(lower)) out[lower] = '***';
		else out[lower] = value;
	}
	return redactDeep(out, secrets);
}

/** A problem with the trigger's own options: the option (display name and parameter path) and what is wrong. */
export interface ConfigProblem {
	parameter: string;
	message: string;
}

/**
 * What is wrong with the trigger's options, or null: checked when the workflow is activated (the node's error names
 * the option) and again for every request (answered 500 with the reason, nothing starts).
 */
export function triggerConfigProblem(config: Pick<TriggerConfig, 'parameterNames' | 'ipAllowlist'>): ConfigProblem | null {
	const allowlist = parseAllowlist(config.ipAllowlist);
	if (!allowlist.ok) {
		return { parameter: 'options.ipAllowlist', message: `Option "IP Allowlist" (options.ipAllowlist): ${allowlist.problem}` };
	}
	const names = parseParameterNames(config.parameterNames);
	if (!names.ok) {
		return { parameter: 'options.parameterNames', message: `Option "Parameter Names" (options.parameterNames): ${names.problem}` };
	}
	return null;
}

/** The hint for received parameters the contact did not use. */
export function unmappedHint(unused: readonly string[]): string {
	const shown = unused.slice(0, 10).join(', ') + (unused.length > 10 ? `, … (${unused.length} in all)` : '');
	return `Not used by the contact: ${shown}. If these are KlickTipp fields with a changed parameter name, map them under Options › Parameter Names; every parameter is in params either way.`;
}

export function handleInboundRequest(request: IncomingRequest, config: TriggerConfig, deps: HandleDeps = {}): Outcome {
	const secrets = credentialSecretValues(deps.credential);
	try {
		const problem = triggerConfigProblem(config);
		if (problem) return rejected(reject(500, `The trigger is misconfigured. ${problem.message}`), secrets);
		// First of all, before the body is read or the caller authenticated: the caller's address.
		const allowlist = parseAllowlist(config.ipAllowlist);
		if (allowlist.ok && !ipAllowed(allowlist.ranges, request.ip, request.ips)) {
			const address = String(request.ip ?? 'unknown').slice(0, 64);
			return rejected(reject(403, `The caller's address ${address} is not in the trigger's IP Allowlist`), secrets);
		}
		const nowMs = deps.nowMs ?? Date.now();
		const parsed = parseRequest(request);
		if (!parsed.ok) return rejected(parsed, secrets);

		const mode = authenticationModeOf(config.authentication);
		if (!mode) {
			return rejected(reject(401, `The trigger's authentication setting "${String(config.authentication).slice(0, 40)}" is unknown`), secrets);
		}
		const auth = authenticate(
			mode,
			deps.credential,
			{
				method: parsed.method,
				headers: request.headers ?? {},
				query: parsed.query,
				body: parsed.body,
				rawBody: request.rawBody,
				contentType: parsed.contentType,
			},
			Math.floor(nowMs / 1000),
		);
		if (!auth.ok) return rejected(auth, secrets);

		const keyName = mode === 'apiKey' ? credentialFields(deps.credential).keyName || undefined : undefined;
		const filter = { keyName, secrets };
		const params = stripSecrets(parsed.params, filter);
		const query = stripSecrets(parsed.query, filter);

		const eventParameter = config.eventParameter || DEFAULT_EVENT_PARAMETER;
		const event = classifyEvent(params, config.eventType, eventParameter);
		const renames = parseParameterNames(config.parameterNames);
		const { contact, unused } = normalizeContactWithUse(
			params,
			renames.ok ? renames.renames : [],
			config.eventType === 'auto' ? [eventParameter] : [],
		);
		if (event === 'contactData' && contact.id === undefined && contact.email === undefined) {
			return rejected(
				reject(422, 'A contact-data event needs an email address (email) or a contact ID (SubscriberID); neither was sent'),
				secrets,
			);
		}
		const isTest = isTestEvent(contact.id);
		const eventId = computeEventId(params, auth.webhookId);
		const output: 0 | 1 = config.eventType === 'auto' && event === 'deletionRequest' ? 1 : 0;
		const answer = (kind: AnswerStatus): AnsweredOutcome => ({
			kind,
			httpStatus: 200,
			headers: {},
			body: { status: kind, event, eventId, isTest },
			output,
		});

		if (isTest && config.ignoreTestEvents) return answer('ignored-test');
		// "Save and test" is often clicked several times while setting up: test events are never de-duplicated.
		if (!isTest && deps.dedupe && deps.dedupe.store.seen(deps.dedupe.scope, eventId, Number(config.dedupeSeconds ?? 0))) {
			return answer('duplicate');
		}

		const item: TriggerItemJson = {
			event,
			eventId,
			isTest,
			receivedAt: new Date(nowMs).toISOString(),
			contact,
			params: plain(params),
			request: { method: parsed.method, contentType: parsed.contentType, query: plain(query) },
		};
		if (unused.length > 0) {
			item.unmappedParameters = unused;
			item.hint = unmappedHint(unused);
		}
		if (config.includeHeaders) {
			const apiKeyHeader =
				mode === 'apiKey' && apiKeyLocation(deps.credential) === 'header' ? keyName?.toLowerCase() : undefined;
			item.request.headers = safeHeaders(request.headers ?? {}, apiKeyHeader, secrets);
		}
		if (config.includeRawBody && request.rawBody !== undefined) {
			item.rawBody = redact(request.rawBody.toString('utf8'), secrets);
		}
		return { ...answer('accepted'), item };
	} catch (error) {
		// Defensive: the core is written not to throw; if it ever does, answer 400 instead of a 500.
		return rejected(reject(400, `The request could not be processed: ${String((error as Error)?.message ?? error).slice(0, 120)}`), secrets);
	}
}
