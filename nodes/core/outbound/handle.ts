/**
 * The action node's hub, the counterpart of core/inbound/handle.ts. Given the setup, the input items, each item's
 * configuration and the once-per-contact state, `planItems` decides per item: skip, fail or send (with the request
 * built and the reason). Send, Preview and Send Test all plan here, so a preview always says what a send does.
 * Given the delivery results, `finishRun` shapes every output record (output.ts), remembers deliveries for
 * once-per-contact and tells which items failed. The node reads its parameters, calls these, delivers the planned
 * requests through n8n's HTTP helper and hands the records to n8n. Redeliver plans stored records the same way
 * (`planRedeliveries`: keep, give up or send again) and `finishRedeliveries` updates them by the schedule. No n8n
 * imports.
 */
import { credentialFields } from '../credential';
import { TEST_CONTACT_ID } from '../events';
import { redact } from '../secrets';
import type { AuthorizedRequest } from './auth';
import { authorize, signRequest } from './auth';
import type { BuiltRequest, OutboundConfig } from './build';
import { buildRequest, configSecrets, eventOf } from './build';
import type { DeliveryDeps, DeliveryOptions, DeliveryResult } from './deliver';
import { deliver } from './deliver';
import type { HostPolicy } from './host';
import { CIRCUITS_KEY, recallCircuits, rememberCircuits } from './host';
import { OutboundParameterError, SetupError } from './errors';
import { contactIdOf, emailOf } from './mapping';
import type { OncePerContactState } from './once-per-contact';
import { contactKey, formatRemaining, pruneWindows, recordDelivery, windowRemainingMs } from './once-per-contact';
import type { OutboundOutput } from './output';
import { failureMessage, maskedRecord, previewRecord, recordSecrets, sentRecord, unsentRecord } from './output';
import { DEFAULT_RETRY_POLICY } from './retry';
import type { DeliverySetup, OutboundSetup, RedeliverySetup } from './setup';
import { DEFAULTS } from './setup';
import type { RedeliveryStep } from './redeliver';
import { givenUp, redeliveredRecord, redeliveryStep } from './redeliver';
import { fillMasked } from './secret-values';
import { testContactItem, testMapping } from './test-contact';

export type Plan =
	| { kind: 'skip'; reason: string; built?: BuiltRequest }
	| { kind: 'fail'; reason: string; built?: BuiltRequest }
	| { kind: 'send'; built: BuiltRequest; key: string };

/** Node state key inside the workflow's static data of the node. */
export const ONCE_PER_CONTACT_KEY = 'oncePerContact';

/** The once-per-contact window of a run, when the outbound has one. */
export interface OncePerContact {
	state: OncePerContactState;
	windowMs: number;
	hours: number;
	nowMs: number;
}

/**
 * The window for this run, or undefined when once-per-contact is off. `nodeStaticData` gives the node's static data
 * (asked for only when the window is on); with
 * `write` (send) the state is created there and expired entries are dropped; without (preview) it is only read.
 */
export function oncePerContact(
	setup: OutboundSetup,
	nodeStaticData: () => Record<string, unknown>,
	nowMs: number,
	write: boolean,
): OncePerContact | undefined {
	const hours = setup.options.oncePerContactHours;
	const windowMs = hours * 3_600_000;
	if (!(windowMs > 0)) return undefined;
	const staticData = nodeStaticData();
	let state = staticData[ONCE_PER_CONTACT_KEY];
	if (!state || typeof state !== 'object') {
		if (!write) return { state: {}, windowMs, hours, nowMs };
		state = staticData[ONCE_PER_CONTACT_KEY] = {};
	}
	if (write) pruneWindows(state as OncePerContactState, nowMs, windowMs);
	return { state: state as OncePerContactState, windowMs, hours, nowMs };
}

/** Why an item is not delivered (inactive outbound, event not subscribed), or null. */
export function skipReason(setup: OutboundSetup, json: Record<string, unknown>): string | null {
	if (!setup.active) return 'The outbound is inactive';
	const event = eventOf(json);
	if (!setup.events.includes(event)) return `The outbound is not subscribed to ${event} events`;
	return null;
}

/** Builds one item's request; a parameter problem becomes a SetupError for that item, secrets masked. */
export function buildItem(setup: OutboundSetup, json: Record<string, unknown>, config: OutboundConfig, itemIndex: number): BuiltRequest {
	try {
		return buildRequest(json, config, setup.credential);
	} catch (error) {
		throw asSetupError(error, recordSecrets(setup.secrets, { secrets: configSecrets(config) }), itemIndex);
	}
}

/** A build problem as the SetupError the node shows: the parameter named, secrets masked. */
function asSetupError(error: unknown, secrets: readonly string[], itemIndex: number): SetupError {
	const message = redact(String((error as Error).message ?? error), secrets);
	if (error instanceof OutboundParameterError) return new SetupError(`Parameter "${error.parameter}": ${message}`, { itemIndex });
	return new SetupError(message, { itemIndex });
}

/**
 * Plans every item before anything is sent, so a parameter error stops the run first: skipped (inactive, not
 * subscribed, once per contact — also for a second item of the same contact in this run), failed (no email
 * address), or sent. Reads the once-per-contact state, never changes it. Throws SetupError.
 */
export function planItems(
	setup: OutboundSetup,
	items: ReadonlyArray<Record<string, unknown>>,
	configFor: (itemIndex: number) => OutboundConfig,
	once: OncePerContact | undefined,
): Plan[] {
	const claimed = new Set<string>();
	return items.map((json, i): Plan => {
		const skip = skipReason(setup, json);
		if (skip) return { kind: 'skip', reason: skip };
		const config = configFor(i);
		const built = buildItem(setup, json, config, i);
		if (config.mapping.sendEmail && emailOf(json) === '') {
			return { kind: 'fail', reason: 'The item has no email address (json.contact.email or json.email); nothing was sent', built };
		}
		const key = contactKey(contactIdOf(json), emailOf(json));
		if (once && key) {
			const remaining = windowRemainingMs(once.state, key, once.nowMs, once.windowMs);
			if (remaining > 0) {
				return {
					kind: 'skip',
					reason: `Once per contact: already delivered to this contact within ${once.hours} h (next possible in ${formatRemaining(remaining)})`,
					built,
				};
			}
			if (claimed.has(key)) {
				return { kind: 'skip', reason: 'Once per contact: an earlier item of this execution delivers to the same contact', built };
			}
			claimed.add(key);
		}
		return { kind: 'send', built, key };
	});
}

/**
 * KlickTipp's "Save and test": one request for the test contact (ID 12345) whatever the input, sent even when the
 * outbound is inactive or not subscribed, and not counted for once per contact.
 */
export function planTest(
	setup: OutboundSetup,
	config: OutboundConfig,
): { json: Record<string, unknown>; plan: Extract<Plan, { kind: 'send' }> } {
	const json = testContactItem();
	const built = buildItem(setup, json, { ...config, mapping: testMapping(config.mapping) }, 0);
	return { json, plan: { kind: 'send', built, key: '' } };
}

/** What every request of a run brings to its receiver host (host.ts). */
export function hostPolicy(setup: DeliverySetup): HostPolicy {
	const { options } = setup;
	return {
		ceiling: options.concurrency,
		adaptive: options.adaptivePacing,
		maxPauseMs: options.maxRetryAfterSeconds * 1000,
		outageBudgetMs: options.outageBudget,
	};
}

/**
 * How a request is delivered: retry policy, timeout, redirects, and a fresh signature per attempt with the request's
 * webhook-id.
 */
export function deliveryOptions(
	setup: DeliverySetup,
	built: Pick<BuiltRequest, 'request' | 'webhookId'>,
	now: () => number = Date.now,
): DeliveryOptions {
	const { options } = setup;
	const { signingSecret } = credentialFields(setup.credential);
	return {
		policy: {
			...DEFAULT_RETRY_POLICY,
			maxAttempts: options.maxAttempts,
			baseDelayMs: options.retryDelay,
			maxRetryAfterMs: options.maxRetryAfterSeconds * 1000,
		},
		host: hostPolicy(setup),
		// Redeliver's schedule spaces its attempts: one per record and run.
		hostRule: !('rules' in setup),
		timeoutMs: options.timeout,
		maxRedirects: options.followRedirects ? DEFAULTS.maxRedirects : 0,
		sign:
			setup.authentication === 'signature' && signingSecret
				? (req) =>
						signRequest({ ...built.request, body: req.body, headers: req.headers }, signingSecret, built.webhookId, Math.floor(now() / 1000))
				: undefined,
	};
}

/** A request of a run to deliver: with the credential applied, and the webhook-id it is signed with. */
export interface RunRequest {
	request: AuthorizedRequest;
	webhookId: string;
}

/**
 * Delivers every request of a run at once (null: not sent): the receiver hosts (host.ts) decide how many are in
 * flight, so no item waiting for a slot, a backoff or an open circuit holds up another. With an outage budget the
 * node's remembered open circuits (`nodeStaticData`, see host.ts) are recalled before and updated after, so the
 * next execution's items for a host known to be down wait for one probe instead of each spending its attempts.
 */
export async function deliverRun(
	setup: DeliverySetup,
	requests: ReadonlyArray<RunRequest | null>,
	deps: DeliveryDeps,
	nodeStaticData?: () => Record<string, unknown>,
): Promise<Array<DeliveryResult | null>> {
	const urls = requests.flatMap((r) => (r ? [r.request.url] : []));
	const memory = setup.options.outageBudget > 0 && urls.length > 0 ? nodeStaticData?.() : undefined;
	if (memory) recallCircuits(deps.hosts, memory[CIRCUITS_KEY], urls, deps.now());
	const results = await Promise.all(
		requests.map(async (r) => (r ? await deliver(r.request, deliveryOptions(setup, r, deps.now), deps) : null)),
	);
	if (memory) {
		const before = JSON.stringify(memory[CIRCUITS_KEY] ?? null);
		const after = rememberCircuits(deps.hosts, memory[CIRCUITS_KEY], urls, deps.now());
		// Written only when it changed: n8n saves the workflow's static data after an execution that changed it.
		if (JSON.stringify(after ?? null) !== before) {
			if (after) memory[CIRCUITS_KEY] = after;
			else delete memory[CIRCUITS_KEY];
		}
	}
	return results;
}

export interface RunResult {
	/** One masked record per item, in input order. */
	records: Array<Record<string, unknown>>;
	/** Indexes of the failed items. */
	failed: number[];
	/** For a run with failures: what failed and what to do, for the node's error. */
	summary?: { message: string; description: string; itemIndex: number; httpStatus?: number; reason: string; outbound: string };
}

/** What the node's error says when items failed and the node does not continue. */
function summarize(records: RunResult['records'], failed: number[], description: string): RunResult['summary'] {
	if (failed.length === 0) return undefined;
	const first = records[failed[0]];
	return {
		message: failureMessage(first),
		description,
		itemIndex: failed[0],
		httpStatus: first.httpStatus as number | undefined,
		reason: String(first.reason ?? ''),
		outbound: String((first.outbound as { name?: unknown } | undefined)?.name ?? ''),
	};
}

/**
 * Shapes the record of every planned item from its delivery result (null for items not sent), remembers each
 * delivery for once per contact, and summarizes the failures.
 */
export function finishRun(
	setup: OutboundSetup,
	items: ReadonlyArray<Record<string, unknown>>,
	plans: ReadonlyArray<Plan>,
	results: ReadonlyArray<DeliveryResult | null>,
	once: OncePerContact | undefined,
	{ test = false, now = Date.now }: { test?: boolean; now?: () => number } = {},
): RunResult {
	const records: RunResult['records'] = [];
	const failed: number[] = [];
	plans.forEach((plan, i) => {
		const json = items[i];
		const result = results[i];
		const at = now();
		let output: OutboundOutput;
		if (plan.kind === 'send' && result) {
			output = sentRecord(setup, json, plan.built, result, at);
			if (result.status === 'delivered' && once) recordDelivery(once.state, plan.key, at);
		} else {
			const reason = plan.kind === 'send' ? 'Not delivered' : plan.reason;
			output = unsentRecord(setup, json, plan.kind === 'fail' ? 'failed' : 'skipped', reason, plan.built, at);
		}
		if (output.status === 'failed') failed.push(i);
		records.push(maskedRecord(output, recordSecrets(setup.secrets, plan.built)));
	});
	const delivered = records.filter((r) => r.status === 'delivered').length;
	const parked = results.filter((r) => r?.parked).length;
	const parkedNote = parked > 0 ? ` (${parked} of them parked because the receiver is down: not attempted again, replayable with Redeliver)` : '';
	const description = test
		? `The test request for contact ${TEST_CONTACT_ID} failed.`
		: `${failed.length} of ${items.length} item(s) failed${parkedNote}; ${delivered} delivered. Set "On Error" to "Continue (using error output)" to route failed items to their own output instead, e.g. to a dead-letter Data Table.`;
	return { records, failed, summary: summarize(records, failed, description) };
}

/** What Send would do with a planned item, as the preview says it. */
export function previewReason(plan: Plan): string {
	if (plan.kind === 'send') return 'Send would deliver this request.';
	if (plan.kind === 'fail') return `Send would fail it: ${plan.reason}`;
	return `Send would skip it: ${plan.reason}`;
}

/**
 * The preview of every item: the request each would get, signed as it would be (secrets masked), and what Send would
 * do with it, by the same plan. Items Send skips before building (inactive, not subscribed) are built for the preview.
 */
export function previewRun(
	setup: OutboundSetup,
	items: ReadonlyArray<Record<string, unknown>>,
	configFor: (itemIndex: number) => OutboundConfig,
	once: OncePerContact | undefined,
	nowMs: number,
): Array<Record<string, unknown>> {
	const plans = planItems(setup, items, configFor, once);
	const { signingSecret } = credentialFields(setup.credential);
	return plans.map((plan, i) => {
		const built = plan.built ?? buildItem(setup, items[i], configFor(i), i);
		const headers =
			setup.authentication === 'signature' && signingSecret
				? signRequest(built.request, signingSecret, built.webhookId, Math.floor(nowMs / 1000))
				: { ...built.request.headers };
		return maskedRecord(previewRecord(setup, items[i], previewReason(plan), built, headers, nowMs), recordSecrets(setup.secrets, built));
	});
}

/** One item of a Redeliver run: its step, and for a send the request with the credential applied. */
export type RedeliveryPlan =
	| Exclude<RedeliveryStep, { kind: 'send' }>
	| (Extract<RedeliveryStep, { kind: 'send' }> & { authorized: AuthorizedRequest });

/**
 * Plans a Redeliver run before anything is sent (see redeliver.ts for each item's step). A record sent with another
 * authentication than the node's is a configuration error for the whole run: SetupError naming the parameter. A
 * record whose body cannot take the API key is given up (dead).
 */
export function planRedeliveries(setup: RedeliverySetup, items: ReadonlyArray<Record<string, unknown>>, nowMs: number): RedeliveryPlan[] {
	return items.map((json, i): RedeliveryPlan => {
		const step = redeliveryStep(json, setup.rules, nowMs);
		if (step.kind !== 'send') return step;
		if (step.request.authentication !== setup.authentication) {
			throw new SetupError(
				`Parameter "Authentication" (authentication) is "${setup.authentication}", but the record of item ${i + 1} (outbound "${step.record.outbound.name}") was sent with "${step.request.authentication}": set the same authentication and the credential the outbound was sent with`,
				{ itemIndex: i },
			);
		}
		const filled = fillMasked(step.request, step.record.request.masked, setup.fill);
		if (!filled.ok && !filled.parameter) return givenUp(step.record, filled.reason, nowMs);
		if (!filled.ok) {
			throw new SetupError(
				`${filled.parameter === 'staticValues' ? 'Parameter "Static Values"' : 'Option "Headers"'} (${filled.parameter}): the record of item ${i + 1} (outbound "${step.record.outbound.name}") cannot be sent again: ${filled.reason}`,
				{ itemIndex: i },
			);
		}
		try {
			return { ...step, authorized: authorize(filled.request, setup.credential) };
		} catch (error) {
			const reason = `The record's body cannot take the API key (${(error as Error).message}), so it cannot be sent again`;
			return givenUp(step.record, reason, nowMs);
		}
	});
}

/**
 * The records of a Redeliver run, from each planned item and its delivery result (null when not sent): kept records
 * as they came, sent ones updated by the schedule (redeliver.ts), every secret masked. Dead records are the run's
 * failures: the error output, or the node's error.
 */
export function finishRedeliveries(
	setup: RedeliverySetup,
	plans: ReadonlyArray<RedeliveryPlan>,
	results: ReadonlyArray<DeliveryResult | null>,
	now: () => number = Date.now,
): RunResult {
	const failed: number[] = [];
	const records = plans.map((plan, i) => {
		const result = results[i];
		const wasDead = plan.kind === 'keep' && plan.record.status === 'dead';
		const output =
			plan.kind === 'send' && result ? redeliveredRecord(plan.record, result, setup.rules, now(), setup.options.logResponseBody) : plan.record;
		if (output.status === 'dead' && !wasDead) failed.push(i);
		return maskedRecord(output, setup.secrets);
	});
	const delivered = records.filter((r) => r.status === 'delivered').length;
	const description = `${failed.length} of ${plans.length} record(s) are dead (no more redeliveries); ${delivered} delivered. Set "On Error" to "Continue (using error output)" to route dead records to their own output, e.g. to keep them for manual review.`;
	return { records, failed, summary: summarize(records, failed, description) };
}
