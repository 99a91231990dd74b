/**
 * The action node's output record, in one place: its type, the request view, the audit record of a deletion
 * request, the record of each outcome (delivered / failed / skipped, and preview), masking, and the failure
 * message. No n8n imports.
 */
import { redactDeep } from '../secrets';
import type { ReplayRequest } from './auth';
import type { BuiltRequest } from './build';
import { eventOf } from './build';
import type { DeliveryResult } from './deliver';
import { contactIdOf, emailOf } from './mapping';
import type { MaskedNames } from './secret-values';
import { maskRequest } from './secret-values';
import type { OutboundSetup } from './setup';

/**
 * `dead`: Redeliver gave up (schedule exhausted, too old, 410 Gone, or nothing that can be sent again).
 * `superseded`: Redeliver did not send contact data again because the contact's deletion request was delivered
 * after it was captured (deletion wins; redeliver.ts `supersededByDeletion`).
 */
export type OutboundStatus = 'delivered' | 'failed' | 'skipped' | 'dead' | 'superseded';

export interface OutboundOutput {
	outbound: { name: string; label: string };
	status: OutboundStatus;
	reason?: string;
	httpStatus?: number;
	/** Every attempt so far: Send's and, for a redelivered record, every Redeliver run's. */
	attempts: number;
	durationMs: number;
	/** When the first attempt started (ISO), for a failed, redelivered or dead delivery; Redeliver's Max Age counts from it. */
	firstAttemptAt?: string;
	/** How many Redeliver runs have sent it. */
	redeliveries?: number;
	/** When Redeliver should send it next (ISO), for a failed delivery that Redeliver rescheduled. */
	nextAttemptAt?: string;
	/**
	 * The request before authentication (what Redeliver sends again; the credential is applied at send time), or in
	 * a preview the request exactly as it would be sent, signed, secrets masked.
	 */
	request: RequestView;
	response?: { body: unknown };
	audit?: AuditRecord;
}

/**
 * The audit record of a deletion request: one row of the deletion ledger per target. `eventId` and `receivedAt` come
 * from the trigger's item (KlickTipp Outbound Trigger), `httpStatus` and `attempts` from the delivery so far; `at` is
 * when this status was reached.
 */
export interface AuditRecord {
	eventId?: string;
	receivedAt?: string;
	contactId: string;
	email: string;
	outbound: string;
	status: OutboundStatus;
	httpStatus?: number;
	attempts: number;
	at: string;
}

export type RequestView = Partial<Omit<ReplayRequest, 'method' | 'url' | 'body'>> & {
	method: string;
	url: string;
	body: string | null;
	/** The secret headers and static values the record keeps masked; Redeliver fills them again (secret-values.ts). */
	masked?: MaskedNames;
};

/**
 * The request as a record keeps it: the request before authentication, replayable, with the secret headers and
 * static values shown as `***` and listed under `masked` (secret-values.ts; maskedRecord masks them by value
 * everywhere else); the method only when none was built.
 */
export function requestView(built: BuiltRequest | undefined, fallbackMethod: string): RequestView {
	if (!built) return { method: fallbackMethod, url: '', body: null };
	const { request, masked } = maskRequest(built.replay, built.secrets);
	const { method, url, body, headers, webhookId, authentication } = request;
	const view: RequestView = { method, url, body, headers: { ...headers }, webhookId, authentication };
	if (masked) view.masked = masked;
	return view;
}

/** What a record of this request must not show: the credential's secrets and the ones typed into the outbound. */
export function recordSecrets(secrets: readonly string[], built: Pick<BuiltRequest, 'secrets'> | undefined): readonly string[] {
	const typed = built?.secrets.values ?? [];
	return typed.length === 0 ? secrets : [...secrets, ...typed];
}

/** The audit record a data-protection audit asks for, for a deletion request (a ledger row, see AuditRecord). */
export function auditRecord(
	json: Record<string, unknown>,
	outboundName: string,
	status: OutboundStatus,
	atMs: number,
	delivery: { httpStatus?: number; attempts: number } = { attempts: 0 },
): AuditRecord {
	const received = typeof json.receivedAt === 'string' ? Date.parse(json.receivedAt) : NaN;
	const audit: AuditRecord = {
		...(typeof json.eventId === 'string' && json.eventId !== '' ? { eventId: json.eventId } : {}),
		...(Number.isNaN(received) ? {} : { receivedAt: new Date(received).toISOString() }),
		contactId: contactIdOf(json),
		email: emailOf(json).toLowerCase(),
		outbound: outboundName,
		status,
		...(delivery.httpStatus !== undefined ? { httpStatus: delivery.httpStatus } : {}),
		attempts: delivery.attempts,
		at: new Date(atMs).toISOString(),
	};
	return audit;
}

/** Adds the audit record when the item is a deletion request. */
function withAudit(output: OutboundOutput, json: Record<string, unknown>, setup: OutboundSetup, atMs: number): OutboundOutput {
	if (eventOf(json) === 'deletionRequest') output.audit = auditRecord(json, setup.name, output.status, atMs, output);
	return output;
}

/** The record of a request that was sent: delivered or failed, with attempts, duration and (optionally) the response body. */
export function sentRecord(
	setup: OutboundSetup,
	json: Record<string, unknown>,
	built: BuiltRequest,
	result: DeliveryResult,
	atMs: number,
): OutboundOutput {
	const output: OutboundOutput = {
		outbound: { name: setup.name, label: setup.label },
		status: result.status,
		reason: result.reason,
		httpStatus: result.httpStatus,
		attempts: result.attempts,
		durationMs: result.durationMs,
		request: requestView(built, built.request.method),
	};
	if (result.status === 'failed') {
		output.firstAttemptAt = new Date(result.firstAttemptAt ?? atMs - result.durationMs).toISOString();
		// Parked (receiver down): due again when the host will be probed next.
		if (result.parked) output.nextAttemptAt = new Date(result.parked.retryAt).toISOString();
	}
	if (setup.options.logResponseBody && result.responseBody !== undefined) output.response = { body: result.responseBody };
	return withAudit(output, json, setup, atMs);
}

/** The record of an item that was not sent: skipped, or failed before sending (e.g. no email address). */
export function unsentRecord(
	setup: OutboundSetup,
	json: Record<string, unknown>,
	status: 'failed' | 'skipped',
	reason: string,
	built: BuiltRequest | undefined,
	atMs: number,
): OutboundOutput {
	return withAudit(
		{
			outbound: { name: setup.name, label: setup.label },
			status,
			reason,
			attempts: 0,
			durationMs: 0,
			request: requestView(built, setup.method),
		},
		json,
		setup,
		atMs,
	);
}

/**
 * The record of a preview: always skipped, with the request exactly as it would be sent: the credential applied and
 * the headers signed when the outbound signs (the caller masks the secrets).
 */
export function previewRecord(
	setup: OutboundSetup,
	json: Record<string, unknown>,
	reason: string,
	built: BuiltRequest,
	headers: Record<string, string>,
	atMs: number,
): OutboundOutput {
	const output = unsentRecord(setup, json, 'skipped', `Preview, nothing sent. ${reason}`, built, atMs);
	output.request = { ...output.request, url: built.request.url, body: built.request.body, headers };
	return output;
}

/** The record as it leaves the node: every secret masked, no undefined fields. */
export function maskedRecord(output: OutboundOutput, secrets: readonly string[]): Record<string, unknown> {
	const json = redactDeep(output, secrets) as unknown as Record<string, unknown>;
	for (const key of Object.keys(json)) if (json[key] === undefined) delete json[key];
	return json;
}

/** "Outbound "<name>" failed with HTTP <status>: <reason>" ("… is dead with …" for a dead record), from a (masked) record. */
export function failureMessage(record: Record<string, unknown>): string {
	const outbound = (record.outbound as { name?: unknown } | undefined)?.name ?? '';
	const httpStatus = record.httpStatus as number | undefined;
	const verb = record.status === 'dead' ? 'is dead' : 'failed';
	return `Outbound "${String(outbound)}" ${verb}${httpStatus !== undefined ? ` with HTTP ${httpStatus}` : ''}: ${String(record.reason ?? 'unknown reason')}`;
}
