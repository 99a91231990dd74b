/**
 * Shared shell code of the three operations: reading parameters, the credential, and shaping n8n items.
 * Everything that decides something lives in ../../core/outbound.
 */
import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import { redactDeep } from '../../core/secrets';
import type { AuthenticationMode, KlickTippCredential } from '../../core/credential';
import { authenticationModeOf, CREDENTIAL_TYPE, credentialFields, credentialProblem, credentialSecretValues } from '../../core/credential';
import { signRequest } from '../../core/outbound/auth';
import type { BuiltRequest, OutboundConfig, OutboundOutput } from '../../core/outbound/build';
import { buildRequest } from '../../core/outbound/build';
import { OutboundParameterError } from '../../core/outbound/errors';
import type { DeliveryDeps, DeliveryOptions, WireRequest, WireResponse } from '../../core/outbound/deliver';
import type { OutboundFormat, OutboundMethod } from '../../core/outbound/encoding';
import { Pacers } from '../../core/outbound/pacer';
import type { OutboundField, StaticValue } from '../../core/outbound/mapping';
import { DEFAULT_RETRY_POLICY } from '../../core/outbound/retry';
import { cachingResolver, systemResolver } from '../../core/outbound/resolver';
import { checkTarget } from '../../core/outbound/ssrf';
import {
	DEFAULT_CONCURRENCY,
	DEFAULT_MAX_ATTEMPTS,
	DEFAULT_MAX_RETRY_AFTER_SECONDS,
	DEFAULT_RETRY_DELAY_MS,
	DEFAULT_TIMEOUT_MS,
	MAX_REDIRECTS,
} from '../description';

export interface OutboundOptions {
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
}

export interface OutboundSetup {
	name: string;
	label: string;
	active: boolean;
	events: string[];
	authentication: AuthenticationMode;
	options: OutboundOptions;
	credential: KlickTippCredential | undefined;
	secrets: string[];
	/** The per-item part of the configuration (URL, mapping, headers) for item i. */
	configFor: (itemIndex: number) => OutboundConfig;
}

function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(hasExpression);
	if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

function num(value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
	const n = typeof value === 'number' ? value : Number(value);
	if (!Number.isFinite(n)) return fallback;
	return Math.min(max, Math.max(min, n));
}

/** Reads and validates everything the operations need. Throws NodeOperationError naming the parameter. */
export async function readSetup(ctx: IExecuteFunctions): Promise<OutboundSetup> {
	const node = ctx.getNode();
	const name = String(ctx.getNodeParameter('outboundName', 0, '') ?? '').trim();
	if (name === '') {
		throw new NodeOperationError(node, 'Parameter "Outbound Name" (outboundName) is required');
	}
	const label = String(ctx.getNodeParameter('label', 0, '') ?? '');
	const active = ctx.getNodeParameter('active', 0, true) !== false;
	const eventsRaw = ctx.getNodeParameter('events', 0, ['contactData']);
	const events = Array.isArray(eventsRaw) ? eventsRaw.map(String) : [String(eventsRaw)];
	for (const e of events) {
		if (e !== 'contactData' && e !== 'deletionRequest') {
			throw new NodeOperationError(node, `Parameter "Events" (events) has an unknown event "${e}"`);
		}
	}
	const authRaw = ctx.getNodeParameter('authentication', 0, 'none');
	const authentication = authenticationModeOf(authRaw);
	if (!authentication) {
		throw new NodeOperationError(node, `Parameter "Authentication" (authentication) has an unknown value "${String(authRaw)}"`);
	}
	const o = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	const options: OutboundOptions = {
		logResponseBody: o.logResponseBody === true,
		timeout: num(o.timeout, DEFAULT_TIMEOUT_MS, 1),
		maxAttempts: Math.floor(num(o.maxAttempts, DEFAULT_MAX_ATTEMPTS, 1, 20)),
		concurrency: Math.floor(num(o.concurrency, DEFAULT_CONCURRENCY, 1, 256)),
		oncePerContactHours: num(o.oncePerContactHours, 0, 0),
		allowPrivateTargets: o.allowPrivateTargets === true,
		requireHttps: o.requireHttps === true,
		followRedirects: o.followRedirects !== false,
		maxRetryAfterSeconds: num(o.maxRetryAfterSeconds, DEFAULT_MAX_RETRY_AFTER_SECONDS, 0),
		retryDelay: num(o.retryDelay, DEFAULT_RETRY_DELAY_MS, 0),
	};

	let credential: KlickTippCredential | undefined;
	if (authentication !== 'none') {
		credential = (await ctx.getCredentials(CREDENTIAL_TYPE, 0)) as KlickTippCredential;
	}
	const secrets = credentialSecretValues(credential);
	const problem = authentication === 'none' ? null : credentialProblem(authentication, credential);
	if (problem) {
		throw new NodeOperationError(
			node,
			`The credential does not fit Authentication "${authentication}": ${redactDeep(problem, secrets)}`,
			{ description: 'Open the credential "KlickTipp Outbound Auth" and fill in what this authentication needs.' },
		);
	}

	const raw = node.parameters;
	// The method and format decide the request's shape and are read once; GET + format is a contradiction.
	const method = String(ctx.getNodeParameter('method', 0, 'POST')).toUpperCase() as OutboundMethod;
	if (method !== 'POST' && method !== 'GET') {
		throw new NodeOperationError(node, `Parameter "Method" (method) must be POST or GET, not "${method}"`);
	}
	let format: OutboundFormat = 'json';
	if (method === 'GET') {
		if (raw.format !== undefined && raw.format !== '') {
			throw new NodeOperationError(
				node,
				'Parameter "Format" (format) applies only to POST: with GET every parameter goes into the URL query. Remove the format or use POST.',
			);
		}
	} else {
		format = String(ctx.getNodeParameter('format', 0, 'json')) as OutboundFormat;
		if (format !== 'json' && format !== 'form') {
			throw new NodeOperationError(node, `Parameter "Format" (format) must be json or form, not "${format}"`);
		}
	}

	const perItem = ['url', 'sendEmail', 'emailParameterName', 'fields', 'staticValues'].filter((p) => hasExpression(raw[p]));
	const headersPerItem = hasExpression((raw.options as IDataObject | undefined)?.headers);
	const readConfig = (i: number): OutboundConfig => {
		const fieldsParam = ctx.getNodeParameter('fields', i, {}) as { field?: OutboundField[] };
		const staticParam = ctx.getNodeParameter('staticValues', i, {}) as { value?: StaticValue[] };
		const headerOpts = ((ctx.getNodeParameter('options', i, {}) as IDataObject).headers ?? {}) as {
			header?: Array<{ name: string; value: string }>;
		};
		const headers: Record<string, string> = {};
		for (const h of headerOpts.header ?? []) {
			const hn = String(h.name ?? '').trim();
			if (!hn) continue;
			if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(hn) || /[\r\n\0]/.test(String(h.value ?? ''))) {
				throw new NodeOperationError(node, `Option "Headers" (options.headers) has an invalid header "${hn}"`, {
					itemIndex: i,
				});
			}
			headers[hn.toLowerCase()] = String(h.value ?? '');
		}
		if (!('user-agent' in headers)) headers['user-agent'] = 'n8n-nodes-klicktipp-outbound';
		return {
			name,
			label,
			url: String(ctx.getNodeParameter('url', i, '') ?? ''),
			method,
			format,
			authentication,
			headers,
			mapping: {
				sendEmail: ctx.getNodeParameter('sendEmail', i, true) !== false,
				emailParameterName: String(ctx.getNodeParameter('emailParameterName', i, 'email') ?? ''),
				fields: (fieldsParam.field ?? []).map((f) => ({
					value: f.value,
					parameterName: String(f.parameterName ?? ''),
					defaultValue: f.defaultValue,
				})),
				staticValues: (staticParam.value ?? []).map((s) => ({ name: String(s.name ?? ''), value: s.value })),
			},
		};
	};
	let shared: OutboundConfig | undefined;
	const configFor = (i: number): OutboundConfig => {
		if (perItem.length === 0 && !headersPerItem) return (shared ??= readConfig(0));
		return readConfig(i);
	};
	return { name, label, active, events, authentication, options, credential, secrets, configFor };
}

/** Builds one item's request; parameter errors become NodeOperationError naming the parameter. */
export function buildFor(
	ctx: IExecuteFunctions,
	setup: OutboundSetup,
	json: Record<string, unknown>,
	itemIndex: number,
	config: OutboundConfig = setup.configFor(itemIndex),
): BuiltRequest {
	try {
		return buildRequest(json, config, setup.credential);
	} catch (error) {
		const message = redactDeep(String((error as Error).message ?? error), setup.secrets);
		if (error instanceof OutboundParameterError) {
			throw new NodeOperationError(ctx.getNode(), `Parameter "${error.parameter}": ${message}`, { itemIndex });
		}
		throw new NodeOperationError(ctx.getNode(), message, { itemIndex });
	}
}

/** The injected side effects for core/outbound/deliver: n8n's HTTP helper, n8n's sleep, DNS with cache. */
export function deliveryDeps(ctx: IExecuteFunctions, setup: OutboundSetup): DeliveryDeps {
	const resolver = cachingResolver(systemResolver(), Date.now);
	const policy = { allowPrivateTargets: setup.options.allowPrivateTargets, requireHttps: setup.options.requireHttps };
	return {
		send: async (req: WireRequest): Promise<WireResponse> => {
			const res = (await ctx.helpers.httpRequest({
				method: req.method as 'GET' | 'POST',
				url: req.url,
				headers: req.headers,
				body: req.body ?? undefined,
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				disableFollowRedirect: true,
				timeout: req.timeoutMs,
			})) as { statusCode: number; headers: Record<string, unknown>; body: unknown };
			return { statusCode: res.statusCode, headers: res.headers ?? {}, body: res.body };
		},
		sleep: async (ms: number) => await sleep(ms),
		random: Math.random,
		now: Date.now,
		checkTarget: async (url: string) => await checkTarget(url, policy, resolver),
		pacers: ctx.getNodeParameter('options.adaptivePacing', 0, true) === false ? undefined : new Pacers({ maxConcurrency: setup.options.concurrency, maxPauseMs: setup.options.maxRetryAfterSeconds * 1000 }, { now: Date.now, sleep }),
	};
}

export function deliveryOptions(setup: OutboundSetup, built: BuiltRequest): DeliveryOptions {
	const { options, credential } = setup;
	return {
		policy: {
			...DEFAULT_RETRY_POLICY,
			maxAttempts: options.maxAttempts,
			baseDelayMs: options.retryDelay,
			maxRetryAfterMs: options.maxRetryAfterSeconds * 1000,
		},
		timeoutMs: options.timeout,
		maxRedirects: options.followRedirects ? MAX_REDIRECTS : 0,
		sign:
			setup.authentication === 'signature' && credentialFields(credential).signingSecret
				? (req) =>
						signRequest(
							{ ...built.request, body: req.body, headers: req.headers },
							credentialFields(credential).signingSecret,
							built.webhookId,
							Math.floor(Date.now() / 1000),
						)
				: undefined,
	};
}

/** An output item: secrets masked everywhere, paired to its input. */
export function outputItem(
	output: OutboundOutput,
	secrets: string[],
	itemIndex: number | undefined,
): INodeExecutionData {
	const json = redactDeep(output, secrets) as unknown as IDataObject;
	for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
	const item: INodeExecutionData = { json };
	if (itemIndex !== undefined) item.pairedItem = { item: itemIndex };
	return item;
}

/**
 * A failed item for n8n's error output ("On Error: Continue (using error output)"). n8n routes an item there when
 * its json is exactly `{ error }`, then merges the input item's json in (the contact, to replay from) and keeps
 * `error` as given. An item carrying `item.error` instead would be rewritten by n8n to `{ error: message }`, losing
 * the request, the attempts and the reason; so the whole failed delivery goes under `error`, with a message.
 */
export function errorOutputItem(item: INodeExecutionData): INodeExecutionData {
	const failed: INodeExecutionData = { json: { error: { message: failureMessage(item.json), ...item.json } } };
	if (item.pairedItem !== undefined) failed.pairedItem = item.pairedItem;
	return failed;
}

/** "Outbound "<name>" failed with HTTP <status>: <reason>", from a (masked) output item. */
export function failureMessage(output: IDataObject): string {
	const outbound = (output.outbound as IDataObject | undefined)?.name ?? '';
	const httpStatus = output.httpStatus as number | undefined;
	return `Outbound "${String(outbound)}" failed${httpStatus !== undefined ? ` with HTTP ${httpStatus}` : ''}: ${String(output.reason ?? 'unknown reason')}`;
}

/** The NodeApiError for a failed delivery: names the outbound, the HTTP status and the (masked) response. */
export function deliveryError(
	ctx: IExecuteFunctions,
	output: IDataObject,
	itemIndex: number,
	description?: string,
): NodeApiError {
	const outbound = (output.outbound as IDataObject | undefined)?.name ?? '';
	const httpStatus = output.httpStatus as number | undefined;
	const response: JsonObject = {
		outbound: String(outbound),
		status: 'failed',
		reason: String(output.reason ?? ''),
	};
	if (httpStatus !== undefined) response.httpStatus = httpStatus;
	return new NodeApiError(ctx.getNode(), response, {
		message: failureMessage(output),
		description,
		httpCode: httpStatus !== undefined ? String(httpStatus) : undefined,
		itemIndex,
	});
}
