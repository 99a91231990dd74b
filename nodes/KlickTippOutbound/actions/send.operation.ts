import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { BuiltRequest, OutboundOutput } from '../../core/outbound/build';
import { auditRecord, eventOf } from '../../core/outbound/build';
import { mapConcurrent } from '../../core/outbound/concurrency';
import type { DeliveryResult } from '../../core/outbound/deliver';
import { deliver } from '../../core/outbound/deliver';
import { contactIdOf, emailOf } from '../../core/outbound/mapping';
import type { OncePerContactState } from '../../core/outbound/once-per-contact';
import {
	contactKey,
	formatRemaining,
	pruneWindows,
	recordDelivery,
	windowRemainingMs,
} from '../../core/outbound/once-per-contact';
import type { OutboundSetup } from './common';
import { buildFor, deliveryDeps, deliveryError, deliveryOptions, errorOutputItem, outputItem, readSetup } from './common';

type Plan =
	| { kind: 'skip'; reason: string; built?: BuiltRequest }
	| { kind: 'fail'; reason: string; built?: BuiltRequest }
	| { kind: 'send'; built: BuiltRequest; key: string };

/** Why an item is not delivered (inactive outbound, event not subscribed), or null. */
export function skipReason(setup: OutboundSetup, json: Record<string, unknown>): string | null {
	if (!setup.active) return 'The outbound is inactive';
	const event = eventOf(json);
	if (!setup.events.includes(event)) return `The outbound is not subscribed to ${event} events`;
	return null;
}

export function requestView(built: BuiltRequest | undefined, fallbackMethod: string): OutboundOutput['request'] {
	if (!built) return { method: fallbackMethod, url: '', body: null };
	return { method: built.request.method, url: built.request.url, body: built.request.body };
}

/** Node state key inside getWorkflowStaticData('node'). */
export const ONCE_PER_CONTACT_KEY = 'oncePerContact';

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const setup = await readSetup(this);
	const now = Date.now();
	const windowMs = setup.options.oncePerContactHours * 3_600_000;
	let state: OncePerContactState | undefined;
	if (windowMs > 0) {
		const staticData = this.getWorkflowStaticData('node');
		if (!staticData[ONCE_PER_CONTACT_KEY] || typeof staticData[ONCE_PER_CONTACT_KEY] !== 'object') {
			staticData[ONCE_PER_CONTACT_KEY] = {};
		}
		state = staticData[ONCE_PER_CONTACT_KEY] as OncePerContactState;
		pruneWindows(state, now, windowMs);
	}

	// Phase 1: build every request first, so a parameter error stops the run before anything is sent.
	const claimed = new Set<string>();
	const plans: Plan[] = items.map((item, i) => {
		const json = item.json as Record<string, unknown>;
		const skip = skipReason(setup, json);
		if (skip) return { kind: 'skip', reason: skip };
		const config = setup.configFor(i);
		const built = buildFor(this, setup, json, i, config);
		if (config.mapping.sendEmail && emailOf(json) === '') {
			return {
				kind: 'fail',
				reason: 'The item has no email address (json.contact.email or json.email); nothing was sent',
				built,
			};
		}
		const key = contactKey(contactIdOf(json), emailOf(json));
		if (state && key) {
			const remaining = windowRemainingMs(state, key, now, windowMs);
			if (remaining > 0) {
				return {
					kind: 'skip',
					reason: `Once per contact: already delivered to this contact within ${setup.options.oncePerContactHours} h (next possible in ${formatRemaining(remaining)})`,
					built,
				};
			}
			if (claimed.has(key)) {
				return {
					kind: 'skip',
					reason: `Once per contact: an earlier item of this execution delivers to the same contact`,
					built,
				};
			}
			claimed.add(key);
		}
		return { kind: 'send', built, key };
	});

	// Phase 2: deliver with bounded concurrency; results keep the input order.
	const deps = deliveryDeps(this, setup);
	const results = await mapConcurrent(plans, setup.options.concurrency, async (plan): Promise<DeliveryResult | null> => {
		if (plan.kind !== 'send') return null;
		return await deliver(plan.built.request, deliveryOptions(setup, plan.built), deps);
	});

	// Phase 3: shape the items, remember deliveries, route failures.
	const onError = this.getNode().onError;
	const toErrorOutput = onError === 'continueErrorOutput';
	const keepFailures = this.continueOnFail();
	const out: INodeExecutionData[] = [];
	const failures: Array<{ json: IDataObject; index: number }> = [];
	plans.forEach((plan, i) => {
		const json = items[i].json as Record<string, unknown>;
		const result = results[i];
		const finishedAt = Date.now();
		let output: OutboundOutput;
		if (plan.kind === 'send' && result) {
			output = {
				outbound: { name: setup.name, label: setup.label },
				status: result.status,
				reason: result.reason,
				httpStatus: result.httpStatus,
				attempts: result.attempts,
				durationMs: result.durationMs,
				request: requestView(plan.built, plan.built.request.method),
			};
			if (setup.options.logResponseBody && result.responseBody !== undefined) {
				output.response = { body: result.responseBody };
			}
			if (result.status === 'delivered' && state) recordDelivery(state, plan.key, finishedAt);
		} else {
			output = {
				outbound: { name: setup.name, label: setup.label },
				status: plan.kind === 'fail' ? 'failed' : 'skipped',
				reason: plan.kind === 'send' ? 'Not delivered' : plan.reason,
				attempts: 0,
				durationMs: 0,
				request: requestView(plan.built, setup.configFor(0).method),
			};
		}
		if (eventOf(json) === 'deletionRequest') {
			output.audit = auditRecord(json, setup.name, output.status, finishedAt);
		}
		const item = outputItem(output, setup.secrets, i);
		if (output.status === 'failed') {
			failures.push({ json: item.json, index: i });
			if (toErrorOutput) {
				out.push(errorOutputItem(item));
				return;
			}
		}
		out.push(item);
	});

	if (failures.length > 0 && !keepFailures) {
		const first = failures[0];
		const delivered = out.filter((o) => o.json.status === 'delivered').length;
		throw deliveryError(
			this,
			first.json,
			first.index,
			`${failures.length} of ${items.length} item(s) failed; ${delivered} delivered. Set "On Error" to "Continue (using error output)" to route failed items to their own output instead.`,
		);
	}
	return [out];
}
