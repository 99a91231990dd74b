/**
 * Redelivery of stored delivery records (the Redeliver operation): finding the record in an item however n8n or a
 * database stored it, reading the request before authentication back from it, the schedule of redeliveries, and
 * what one redelivery makes of the record. The hub (handle.ts) plans and finishes a run with these. No n8n imports.
 */
import { authenticationModeOf, breaksHeader, isHeaderName } from '../credential';
import type { ReplayRequest } from './auth';
import { urlProblem } from './build';
import { hasBody, isOutboundMethod, OUTBOUND_METHODS } from './encoding';
import type { DeliveryResult } from './deliver';
import type { OutboundOutput, OutboundStatus, RequestView } from './output';
import type { RedeliveryRules } from './schedule';
import { maskedOf } from './secret-values';

function objectOf(value: unknown): Record<string, unknown> | undefined {
	if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
	if (typeof value !== 'string' || !value.trimStart().startsWith('{')) return undefined;
	try {
		const parsed = JSON.parse(value) as unknown;
		return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
	} catch {
		return undefined;
	}
}

function numberOf(value: unknown): number | undefined {
	const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
	return Number.isFinite(n) ? n : undefined;
}

/** Epoch ms of an ISO text, a Date or epoch ms, or undefined. */
function timeOf(value: unknown): number | undefined {
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
	if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
	if (typeof value !== 'string' || value.trim() === '') return undefined;
	const at = Date.parse(value);
	return Number.isNaN(at) ? undefined : at;
}

function iso(ms: number | undefined): string | undefined {
	return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * The delivery record in an input item: the error output's `error` (n8n merges the contact next to it), a field
 * `record` (an object, or the record as JSON text, e.g. a Data Table column), or the item itself; each the first
 * that has a `request`.
 */
export function findRecord(json: Record<string, unknown>): Record<string, unknown> | undefined {
	for (const candidate of [json.error, json.record, json]) {
		const record = objectOf(candidate);
		if (record && record.request !== undefined) return record;
	}
	return undefined;
}

/** Headers Redeliver never takes from a record: the signature is made fresh, the length and host by the HTTP client. */
const NOT_REPLAYED = new Set(['webhook-timestamp', 'webhook-signature', 'content-length', 'host']);

/** The request before authentication in a record, checked, or why it cannot be sent again. */
export function replayOf(view: Record<string, unknown> | undefined): { ok: true; request: ReplayRequest } | { ok: false; reason: string } {
	const bad = (what: string) => ({ ok: false as const, reason: `The record's request ${what}, so it cannot be sent again` });
	if (!view) return bad('is missing');
	const method = String(view.method ?? '').toUpperCase();
	if (!isOutboundMethod(method)) return bad(`has the method "${String(view.method ?? '').slice(0, 20)}" (${OUTBOUND_METHODS.join(', ')} expected)`);
	const url = typeof view.url === 'string' ? view.url : '';
	const urlIssue = urlProblem(url);
	if (urlIssue) return bad(`URL is not usable (${urlIssue})`);
	let body: string | null = null;
	if (hasBody(method)) {
		if (typeof view.body === 'string') body = view.body;
		else if (objectOf(view.body)) body = JSON.stringify(view.body);
		else return bad('has no body');
	}
	const webhookId = typeof view.webhookId === 'string' ? view.webhookId : '';
	if (!/^[\x21-\x7e]{1,256}$/.test(webhookId)) return bad('has no webhookId');
	const authentication = authenticationModeOf(view.authentication);
	if (!authentication) return bad(`has an unknown authentication "${String(view.authentication ?? '').slice(0, 20)}"`);
	const headers: Record<string, string> = {};
	for (const [name, value] of Object.entries(objectOf(view.headers) ?? {})) {
		const key = name.toLowerCase();
		if (NOT_REPLAYED.has(key)) continue;
		// the idempotency header (default webhook-id) carries the record's own ID, never another value
		if (key === 'webhook-id') {
			headers[key] = webhookId;
			continue;
		}
		const text = typeof value === 'number' ? String(value) : value;
		if (!isHeaderName(key) || typeof text !== 'string' || breaksHeader(text)) return bad(`has an invalid header "${name.slice(0, 40)}"`);
		headers[key] = text;
	}
	return { ok: true, request: { method, url, body, headers, webhookId, authentication } };
}

/** A stored record as the node's output record: every field read back from plain JSON (numbers, times, nesting). */
export function normalizeRecord(stored: Record<string, unknown>, request: RequestView): OutboundOutput {
	const outbound = objectOf(stored.outbound) ?? {};
	const record: OutboundOutput = {
		outbound: { name: String(outbound.name ?? ''), label: String(outbound.label ?? '') },
		status: String(stored.status ?? 'failed') as OutboundStatus,
		reason: typeof stored.reason === 'string' ? stored.reason : undefined,
		httpStatus: numberOf(stored.httpStatus),
		attempts: numberOf(stored.attempts) ?? 0,
		durationMs: numberOf(stored.durationMs) ?? 0,
		firstAttemptAt: iso(timeOf(stored.firstAttemptAt)),
		redeliveries: numberOf(stored.redeliveries),
		nextAttemptAt: iso(timeOf(stored.nextAttemptAt)),
		request,
	};
	const response = objectOf(stored.response);
	if (response) record.response = { body: response.body };
	const audit = objectOf(stored.audit);
	if (audit) {
		const receivedAt = iso(timeOf(audit.receivedAt));
		record.audit = {
			...(typeof audit.eventId === 'string' && audit.eventId !== '' ? { eventId: audit.eventId } : {}),
			...(receivedAt ? { receivedAt } : {}),
			contactId: String(audit.contactId ?? ''),
			email: String(audit.email ?? ''),
			outbound: String(audit.outbound ?? record.outbound.name),
			status: record.status,
			...(record.httpStatus !== undefined ? { httpStatus: record.httpStatus } : {}),
			attempts: record.attempts,
			at: iso(timeOf(audit.at)) ?? '',
		};
	}
	return record;
}

/** The request of a record that cannot be sent again, kept as far as it is readable. */
function unusableView(view: Record<string, unknown> | undefined): RequestView {
	return {
		...(view ?? {}),
		method: String(view?.method ?? ''),
		url: typeof view?.url === 'string' ? view.url : '',
		body: typeof view?.body === 'string' ? view.body : null,
	};
}

/** The item field that tells Redeliver when the contact's deletion request was delivered (a Data Table column). */
export const DELETION_DELIVERED_AT = 'deletionDeliveredAt';

/**
 * Deletion wins over waiting deliveries: a failed contact-data record whose item says the contact's deletion request
 * was delivered (`deletionDeliveredAt`, on the item, e.g. a Data Table column the deletion workflow sets, or on the
 * record) at or after the record's first attempt is not sent again: it ends `superseded`, with the reason. A record
 * without a first attempt time counts as older. A deletion request's own record (it has `audit`) is never
 * superseded, nor is contact data captured after the deletion (the person came back). Undefined: send as usual.
 */
export function supersededByDeletion(
	json: Record<string, unknown>,
	stored: Record<string, unknown>,
	record: OutboundOutput,
	nowMs: number,
): Extract<RedeliveryStep, { kind: 'superseded' }> | undefined {
	if (record.audit) return undefined;
	const deletedAt = timeOf(json[DELETION_DELIVERED_AT]) ?? timeOf(stored[DELETION_DELIVERED_AT]);
	if (deletedAt === undefined) return undefined;
	const first = timeOf(record.firstAttemptAt);
	if (first !== undefined && first > deletedAt) return undefined;
	const reason = `Not sent again: the contact's deletion request was delivered at ${new Date(deletedAt).toISOString()}, after this contact data was captured; deletion wins. Last: ${record.reason ?? 'failed'}`;
	return { kind: 'superseded', record: withStatus({ ...record, reason, nextAttemptAt: undefined }, 'superseded', nowMs) };
}

export type RedeliveryStep =
	/** Output as received: delivered, skipped, dead or superseded already, or not due yet (then with its `nextAttemptAt`). */
	| { kind: 'keep'; record: OutboundOutput }
	/** Given up without sending. */
	| { kind: 'dead'; record: OutboundOutput }
	/** Not sent: the contact's deletion request was delivered after this contact data was captured. */
	| { kind: 'superseded'; record: OutboundOutput }
	| { kind: 'send'; record: OutboundOutput; request: ReplayRequest };

/** The record given up: dead, with the reason, no next attempt. */
export function givenUp(record: OutboundOutput, reason: string, nowMs: number): Extract<RedeliveryStep, { kind: 'dead' }> {
	return { kind: 'dead', record: withStatus({ ...record, reason, nextAttemptAt: undefined }, 'dead', nowMs) };
}

function withStatus(record: OutboundOutput, status: OutboundStatus, nowMs: number): OutboundOutput {
	const next = { ...record, status };
	if (record.audit) {
		// the ledger row follows the record: status, HTTP status, attempts, time
		next.audit = { ...record.audit, status, httpStatus: record.httpStatus, attempts: record.attempts, at: new Date(nowMs).toISOString() };
		if (record.httpStatus === undefined) delete next.audit.httpStatus;
	}
	return next;
}

/**
 * When a failed record is due: its `nextAttemptAt`, or, for a record straight from Send (never redelivered), the
 * first wait after its failure (first attempt + duration); without a time, now.
 */
export function dueAt(record: OutboundOutput, rules: RedeliveryRules, nowMs: number): number {
	const next = timeOf(record.nextAttemptAt);
	if (next !== undefined) return next;
	const first = timeOf(record.firstAttemptAt);
	if (first === undefined || (record.redeliveries ?? 0) > 0) return nowMs;
	return first + record.durationMs + rules.schedule[0];
}

/**
 * What Redeliver does with one input item: keep it (not failed, or not due), supersede it (contact data whose
 * contact's deletion was delivered since: supersededByDeletion), give it up (not a record, never sent, not replayable,
 * too old, schedule used up) or send its request again.
 */
export function redeliveryStep(json: Record<string, unknown>, rules: RedeliveryRules, nowMs: number): RedeliveryStep {
	const stored = findRecord(json);
	if (!stored) {
		const record = normalizeRecord({ status: 'failed', attempts: 0 }, { method: '', url: '', body: null });
		return givenUp(record, 'The item is not a delivery record of KlickTipp Outbound (no request in json.error, json.record or json)', nowMs);
	}
	const view = objectOf(stored.request);
	const replay = replayOf(view);
	const masked = maskedOf(view);
	const record = normalizeRecord(stored, replay.ok ? { ...replay.request, ...(masked ? { masked } : {}) } : unusableView(view));
	if (record.status === 'delivered' || record.status === 'skipped' || record.status === 'dead' || record.status === 'superseded') return { kind: 'keep', record };
	const superseded = supersededByDeletion(json, stored, record, nowMs);
	if (superseded) return superseded;
	// A record with no attempt and no next attempt was never meant to go (a parked one has its nextAttemptAt).
	if (record.attempts === 0 && record.nextAttemptAt === undefined) {
		return givenUp(record, `It was never sent${record.reason ? ` (${record.reason})` : ''}; fix the input and send it again`, nowMs);
	}
	if (!replay.ok) return givenUp(record, replay.reason, nowMs);
	const first = timeOf(record.firstAttemptAt);
	if (rules.maxAgeMs > 0 && first !== undefined && nowMs - first > rules.maxAgeMs) {
		return givenUp(record, `Older than Max Age (first attempt ${record.firstAttemptAt}); last: ${record.reason ?? 'failed'}`, nowMs);
	}
	if ((record.redeliveries ?? 0) >= rules.schedule.length) {
		return givenUp(record, `No redelivery left in the schedule (${rules.schedule.length}); last: ${record.reason ?? 'failed'}`, nowMs);
	}
	const due = dueAt(record, rules, nowMs);
	// Not due yet: kept, with the time it is due, so a stored row says when to come back (also a record from Send).
	if (due > nowMs) return { kind: 'keep', record: { ...record, nextAttemptAt: new Date(due).toISOString() } };
	return { kind: 'send', record, request: replay.request };
}

/**
 * The record after one redelivery: attempts added up, one more redelivery; delivered, or failed with the next
 * attempt from the schedule (later when the receiver asked for it with Retry-After, at most the schedule's longest
 * wait), or dead when the receiver answered 410 Gone or the schedule is used up.
 */
export function redeliveredRecord(
	record: OutboundOutput,
	result: DeliveryResult,
	rules: RedeliveryRules,
	nowMs: number,
	logResponseBody: boolean,
): OutboundOutput {
	if (result.parked) {
		// The receiver is still down (its circuit is open): kept, not counted, due again after the host's cool-down.
		return {
			...record,
			reason: `${result.reason ?? 'Receiver down'}; kept for the next run`,
			attempts: record.attempts + result.attempts,
			nextAttemptAt: new Date(Math.max(result.parked.retryAt, nowMs)).toISOString(),
		};
	}
	const redeliveries = (record.redeliveries ?? 0) + 1;
	const next: OutboundOutput = {
		...record,
		reason: result.reason,
		httpStatus: result.httpStatus,
		attempts: record.attempts + result.attempts,
		durationMs: result.durationMs,
		firstAttemptAt: record.firstAttemptAt ?? new Date(nowMs - result.durationMs).toISOString(),
		redeliveries,
		nextAttemptAt: undefined,
		response: logResponseBody && result.responseBody !== undefined ? { body: result.responseBody } : undefined,
	};
	if (result.status === 'delivered') return withStatus({ ...next, reason: undefined }, 'delivered', nowMs);
	if (result.httpStatus === 410) {
		return withStatus({ ...next, reason: `${result.reason ?? 'HTTP 410'} (410 Gone: the receiver will not take it, no more redeliveries)` }, 'dead', nowMs);
	}
	if (redeliveries >= rules.schedule.length) {
		return withStatus({ ...next, reason: `${result.reason ?? 'failed'} (no redelivery left in the schedule after ${redeliveries})` }, 'dead', nowMs);
	}
	const longest = Math.max(...rules.schedule);
	const wait = Math.max(rules.schedule[redeliveries], Math.min(result.retryAfterMs ?? 0, longest));
	return withStatus({ ...next, nextAttemptAt: new Date(nowMs + wait).toISOString() }, 'failed', nowMs);
}
