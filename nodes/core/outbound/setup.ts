/**
 * The action node's parameters, validated: the defaults (one home; the node description imports them), the
 * outbound-wide setup (name, events, authentication and its credential, method, format, options) and each item's
 * configuration (URL, mapping, headers). Problems throw a SetupError naming the parameter. No n8n imports.
 */
import type { AuthenticationMode, KlickTippCredential } from '../credential';
import { authenticationModeOf, breaksHeader, credentialProblem, credentialSecretValues, isHeaderName } from '../credential';
import type { EventKind } from '../events';
import { redact } from '../secrets';
import type { OutboundConfig } from './build';
import type { OutboundFormat, OutboundMethod } from './encoding';
import { hasBody, isOutboundMethod, OUTBOUND_METHODS } from './encoding';
import { SetupError } from './errors';
import { MAX_LIMIT } from './limit';
import type { OutboundField, StaticValue } from './mapping';
import { toParamString } from './mapping';
import type { RedeliveryRules } from './schedule';
import { DEFAULT_SCHEDULE, parseSchedule } from './schedule';
import type { FillValues } from './secret-values';
import { headerSecretParts } from './secret-values';

/** Every default of the action node's parameters. */
export const DEFAULTS = {
	events: ['contactData'] as EventKind[],
	authentication: 'none' as AuthenticationMode,
	method: 'POST' as OutboundMethod,
	format: 'json' as OutboundFormat,
	sendEmail: true,
	emailParameterName: 'email',
	/**
	 * The most requests in flight to one receiver host, across all executions in the n8n process (the window
	 * adapts below it). Was 16 (then per execution); a workflow that set it keeps its value.
	 */
	concurrency: 100,
	/** How long a receiver's open circuit is waited out before items are parked; 0 = no circuit breaker. */
	outageBudgetSeconds: 30,
	timeoutMs: 30_000,
	maxAttempts: 5,
	retryDelayMs: 500,
	maxRetryAfterSeconds: 60,
	oncePerContactHours: 0,
	/** Redirects followed when "Follow Redirects" is on. */
	maxRedirects: 5,
	/** Sent unless a header of the same name is configured. */
	userAgent: 'n8n-nodes-klicktipp-outbound',
	/** The header that carries the stable delivery ID (the record's webhookId) on every request; '' = none. */
	idempotencyHeader: 'webhook-id',
	/** Redeliver: the waits before the 1st, 2nd, … redelivery. */
	schedule: DEFAULT_SCHEDULE,
	/** Redeliver: give up on records older than this (hours since the first attempt); 0 = no limit. */
	maxAgeHours: 0,
} as const;

export interface OutboundOptions {
	/** Learn the window per receiver host (core/outbound/host.ts, limit.ts); off = the window is Concurrency. */
	adaptivePacing: boolean;
	/** ms; 0 = no circuit breaker. */
	outageBudget: number;
	logResponseBody: boolean;
	timeout: number;
	maxAttempts: number;
	concurrency: number;
	oncePerContactHours: number;
	allowPrivateTargets: boolean;
	requireHttps: boolean;
	followRedirects: boolean;
	maxRetryAfterSeconds: number;
	retryDelay: number;
	/** Lower case; '' = send no idempotency header (a signed request still carries Standard Webhooks' webhook-id). */
	idempotencyHeader: string;
}

/** The outbound-wide parameters as n8n hands them (read for item 0). */
export interface SetupParameters {
	outboundName: unknown;
	label: unknown;
	active: unknown;
	events: unknown;
	authentication: unknown;
	options: Record<string, unknown>;
	method: unknown;
	format: unknown;
	/** Whether the format parameter is set at all (it must not be with GET). */
	formatSet: boolean;
}

export interface OutboundSetup {
	name: string;
	label: string;
	active: boolean;
	events: EventKind[];
	authentication: AuthenticationMode;
	options: OutboundOptions;
	credential: KlickTippCredential | undefined;
	/** What must never show in an output item or error (see credentialSecretValues). */
	secrets: string[];
	method: OutboundMethod;
	format: OutboundFormat;
}

function num(value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
	const n = typeof value === 'number' ? value : Number(value);
	if (!Number.isFinite(n)) return fallback;
	return Math.min(max, Math.max(min, n));
}

export function parseOptions(o: Record<string, unknown>): OutboundOptions {
	return {
		adaptivePacing: o.adaptivePacing !== false,
		logResponseBody: o.logResponseBody === true,
		timeout: num(o.timeout, DEFAULTS.timeoutMs, 1),
		maxAttempts: Math.floor(num(o.maxAttempts, DEFAULTS.maxAttempts, 1, 20)),
		concurrency: Math.floor(num(o.concurrency, DEFAULTS.concurrency, 1, MAX_LIMIT)),
		outageBudget: num(o.outageBudgetSeconds, DEFAULTS.outageBudgetSeconds, 0) * 1000,
		oncePerContactHours: num(o.oncePerContactHours, DEFAULTS.oncePerContactHours, 0),
		allowPrivateTargets: o.allowPrivateTargets === true,
		requireHttps: o.requireHttps === true,
		followRedirects: o.followRedirects !== false,
		maxRetryAfterSeconds: num(o.maxRetryAfterSeconds, DEFAULTS.maxRetryAfterSeconds, 0),
		retryDelay: num(o.retryDelay, DEFAULTS.retryDelayMs, 0),
		idempotencyHeader: String(o.idempotencyHeader ?? DEFAULTS.idempotencyHeader).trim().toLowerCase(),
	};
}

function authenticationOf(value: unknown): AuthenticationMode {
	const authentication = authenticationModeOf(value);
	if (!authentication) throw new SetupError(`Parameter "Authentication" (authentication) has an unknown value "${String(value)}"`);
	return authentication;
}

/** Loads the credential when the authentication needs one and checks that it fits; its secret values, to mask. */
async function credentialFor(
	authentication: AuthenticationMode,
	loadCredential: () => Promise<KlickTippCredential>,
): Promise<{ credential: KlickTippCredential | undefined; secrets: string[] }> {
	const credential = authentication === 'none' ? undefined : await loadCredential();
	const secrets = credentialSecretValues(credential);
	const problem = authentication === 'none' ? null : credentialProblem(authentication, credential);
	if (problem) {
		throw new SetupError(`The credential does not fit Authentication "${authentication}": ${redact(problem, secrets)}`, {
			description: 'Open the credential "KlickTipp Outbound API" and fill in what this authentication needs.',
		});
	}
	return { credential, secrets };
}

/**
 * Validates the outbound-wide parameters; loads the credential (only when the authentication needs one) and checks
 * that it fits. Throws SetupError.
 */
export async function parseSetup(
	p: SetupParameters,
	loadCredential: () => Promise<KlickTippCredential>,
): Promise<OutboundSetup> {
	const name = String(p.outboundName ?? '').trim();
	if (name === '') throw new SetupError('Parameter "Outbound Name" (outboundName) is required');
	const label = String(p.label ?? '');
	const active = p.active !== false;
	const events = (Array.isArray(p.events) ? p.events.map(String) : [String(p.events)]) as EventKind[];
	for (const e of events) {
		if (e !== 'contactData' && e !== 'deletionRequest') {
			throw new SetupError(`Parameter "Events" (events) has an unknown event "${e}"`);
		}
	}
	const authentication = authenticationOf(p.authentication);
	const options = parseOptions(p.options);
	if (options.idempotencyHeader !== '' && !isHeaderName(options.idempotencyHeader)) {
		throw new SetupError(
			`Option "Idempotency Header" (options.idempotencyHeader) "${options.idempotencyHeader.slice(0, 100)}" is not a valid header name`,
		);
	}

	const { credential, secrets } = await credentialFor(authentication, loadCredential);

	// The method and format decide the request's shape and are read once; a format without a body is a contradiction.
	const method = String(p.method).toUpperCase();
	if (!isOutboundMethod(method)) {
		throw new SetupError(`Parameter "Method" (method) must be one of ${OUTBOUND_METHODS.join(', ')}, not "${method}"`);
	}
	let format: OutboundFormat = DEFAULTS.format;
	if (!hasBody(method)) {
		if (p.formatSet) {
			throw new SetupError(
				`Parameter "Format" (format) applies only to POST, PUT and PATCH: with ${method} every parameter goes into the URL query. Remove the format or use a method with a body.`,
			);
		}
	} else {
		format = String(p.format) as OutboundFormat;
		if (format !== 'json' && format !== 'form') {
			throw new SetupError(`Parameter "Format" (format) must be json or form, not "${format}"`);
		}
	}
	return { name, label, active, events, authentication, options, credential, secrets, method, format };
}

/** What delivering needs of a setup: Send's whole setup, or Redeliver's. */
export type DeliverySetup = Pick<OutboundSetup, 'authentication' | 'credential' | 'secrets' | 'options'>;

/** Redeliver's setup: the authentication to re-apply, its credential, the delivery options and the redelivery rules. */
export interface RedeliverySetup extends DeliverySetup {
	rules: RedeliveryRules;
	/** Redeliver's own Headers and Static Values: what fills the secret values a record keeps masked (none when absent). */
	fill?: FillValues;
}

/**
 * Redeliver's Headers and Static Values, by name: they only fill the values records keep masked, so every one of
 * them counts as a secret.
 */
export function fillValues(headersParam: unknown, staticValuesParam: unknown): { fill: FillValues; secrets: string[] } {
	const headers = requestHeaders(headersParam, 0);
	if (headers['user-agent'] === DEFAULTS.userAgent) delete headers['user-agent'];
	const parameters: Record<string, string> = {};
	for (const sv of ((staticValuesParam ?? {}) as { value?: StaticValue[] }).value ?? []) {
		const name = String(sv.name ?? '').trim();
		if (name !== '') parameters[name] = toParamString(sv.value);
	}
	const secrets = Object.values(parameters).filter((v) => v !== '');
	for (const value of Object.values(headers)) if (value !== '') secrets.push(...headerSecretParts(value));
	return { fill: { headers, parameters }, secrets };
}

/**
 * Validates Redeliver's parameters: the authentication and its credential, the options, the schedule and the
 * maximum age. One attempt per item and run: the schedule spaces the attempts. Throws SetupError.
 */
export async function parseRedeliverySetup(
	p: { authentication: unknown; options: Record<string, unknown>; staticValues?: unknown },
	loadCredential: () => Promise<KlickTippCredential>,
): Promise<RedeliverySetup> {
	const authentication = authenticationOf(p.authentication);
	const schedule = parseSchedule(String(p.options.schedule ?? DEFAULTS.schedule));
	if (typeof schedule === 'string') throw new SetupError(`Option "Schedule" (options.schedule): ${schedule}`);
	const maxAgeHours = num(p.options.maxAgeHours, DEFAULTS.maxAgeHours, 0);
	const { credential, secrets } = await credentialFor(authentication, loadCredential);
	const options = { ...parseOptions(p.options), maxAttempts: 1, oncePerContactHours: 0 };
	const filled = fillValues(p.options.headers, p.staticValues);
	return {
		authentication,
		credential,
		secrets: [...secrets, ...filled.secrets],
		options,
		rules: { schedule, maxAgeMs: maxAgeHours * 3_600_000 },
		fill: filled.fill,
	};
}

/** One item's parameters as n8n hands them (expressions evaluated for that item). */
export interface ItemParameters {
	url: unknown;
	sendEmail: unknown;
	emailParameterName: unknown;
	fields: unknown;
	staticValues: unknown;
	/** options.headers */
	headers: unknown;
}

/**
 * The configured headers, names lower-cased, plus the default User-Agent unless one is configured. Throws SetupError
 * for a name that is not an HTTP token or a value with a line break.
 */
export function requestHeaders(headersParam: unknown, itemIndex: number): Record<string, string> {
	const list = ((headersParam ?? {}) as { header?: Array<{ name?: unknown; value?: unknown }> }).header ?? [];
	const headers: Record<string, string> = {};
	for (const h of list) {
		const name = String(h.name ?? '').trim();
		if (!name) continue;
		const value = String(h.value ?? '');
		if (!isHeaderName(name) || breaksHeader(value)) {
			throw new SetupError(`Option "Headers" (options.headers) has an invalid header "${name}"`, { itemIndex });
		}
		headers[name.toLowerCase()] = value;
	}
	if (!('user-agent' in headers)) headers['user-agent'] = DEFAULTS.userAgent;
	return headers;
}

/** The configuration one item is built with. */
export function itemConfig(setup: OutboundSetup, p: ItemParameters, itemIndex: number): OutboundConfig {
	const fields = ((p.fields ?? {}) as { field?: OutboundField[] }).field ?? [];
	const staticValues = ((p.staticValues ?? {}) as { value?: StaticValue[] }).value ?? [];
	return {
		name: setup.name,
		label: setup.label,
		url: String(p.url ?? ''),
		method: setup.method,
		format: setup.format,
		authentication: setup.authentication,
		headers: requestHeaders(p.headers, itemIndex),
		idempotencyHeader: setup.options.idempotencyHeader,
		mapping: {
			sendEmail: p.sendEmail !== false,
			emailParameterName: String(p.emailParameterName ?? ''),
			fields: fields.map((f) => ({ value: f.value, parameterName: String(f.parameterName ?? ''), defaultValue: f.defaultValue })),
			staticValues: staticValues.map((s) => ({ name: String(s.name ?? ''), value: s.value, secret: s.secret === true })),
		},
	};
}
