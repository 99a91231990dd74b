/**
 * The n8n side of the operations: turning the core's SetupError into a NodeOperationError, n8n's HTTP helper
 * and sleep as the delivery's side effects, and handing the records to n8n (error output, or the node's error).
 * Everything that decides something lives in ../../core/outbound.
 */
import type { IDataObject, IExecuteFunctions, IHttpRequestMethods, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import type { DeliveryDeps, WireRequest, WireResponse } from '../../core/outbound/deliver';
import { SetupError } from '../../core/outbound/errors';
import { HostRegistry } from '../../core/outbound/host';
import type { RunResult } from '../../core/outbound/handle';
import { failureMessage } from '../../core/outbound/output';
import type { EgressCheck } from '../../core/outbound/ssrf';
import { checkTarget } from '../../core/outbound/ssrf';
import type { DeliverySetup } from '../../core/outbound/setup';

/** Reads and plans; a configuration problem the core found becomes a NodeOperationError naming the parameter. */
export async function withNodeErrors<T>(ctx: IExecuteFunctions, step: () => Promise<T>): Promise<T> {
	try {
		return await step();
	} catch (error) {
		if (error instanceof SetupError) throw new NodeOperationError(ctx.getNode(), error.message, error.details);
		throw new NodeOperationError(ctx.getNode(), error as Error);
	}
}

/** n8n's egress filter where the instance has it (n8n-workflow >= 2.30), feature-detected: no version sniffing. */
function n8nEgressCheck(ctx: IExecuteFunctions): EgressCheck | undefined {
	const helpers = ctx.helpers as {
		getSecureEgressFilter?: () => { validateUrl(url: string): Promise<{ ok: true } | { ok: false; error: unknown }> };
	};
	if (typeof helpers.getSecureEgressFilter !== 'function') return undefined;
	const filter = helpers.getSecureEgressFilter();
	return async (url) => await filter.validateUrl(url);
}

/**
 * What the process knows about each receiver host (window, pause, circuit breaker): one registry per n8n process
 * (main in single mode, each worker in queue mode), shared by every execution of every workflow.
 */
const hosts = new HostRegistry({ now: Date.now, sleep: async (ms: number) => await sleep(ms) });

/** The injected side effects for core/outbound/deliver: n8n's HTTP helper, n8n's sleep, n8n's egress check, the process's hosts. */
export function deliveryDeps(ctx: IExecuteFunctions, setup: DeliverySetup): DeliveryDeps {
	const egress = n8nEgressCheck(ctx);
	const policy = { allowPrivateTargets: setup.options.allowPrivateTargets, requireHttps: setup.options.requireHttps };
	return {
		send: async (req: WireRequest): Promise<WireResponse> => {
			const res = (await ctx.helpers.httpRequest({
				method: req.method as IHttpRequestMethods,
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
		checkTarget: async (url: string) => await checkTarget(url, policy, egress),
		hosts,
	};
}

/**
 * Hands a run's records to n8n, paired to `pairedTo[i]` (default: item i). Failed records go to n8n's error output
 * when "On Error" is "Continue (using error output)": n8n routes an item there when its json is exactly `{ error }`,
 * then merges the input item's json in (the contact, to replay from) and keeps `error` as given. An item carrying
 * `item.error` instead would be rewritten by n8n to `{ error: message }`, losing the request, the attempts and the
 * reason; so the whole failed delivery goes under `error`, with a message. Without "Continue", a failure stops the
 * node with a NodeApiError naming the outbound, the HTTP status and the (masked) reason.
 */
export function emit(ctx: IExecuteFunctions, run: RunResult, pairedTo?: Array<number | undefined>): INodeExecutionData[][] {
	const { summary } = run;
	if (summary && !ctx.continueOnFail()) {
		const response: JsonObject = { outbound: summary.outbound, status: 'failed', reason: summary.reason };
		if (summary.httpStatus !== undefined) response.httpStatus = summary.httpStatus;
		throw new NodeApiError(ctx.getNode(), response, {
			message: summary.message,
			description: summary.description,
			httpCode: summary.httpStatus !== undefined ? String(summary.httpStatus) : undefined,
			itemIndex: summary.itemIndex,
		});
	}
	const toErrorOutput = ctx.getNode().onError === 'continueErrorOutput';
	const failed = new Set(run.failed);
	return [
		run.records.map((json, i) => {
			const record = json as IDataObject;
			const item: INodeExecutionData =
				failed.has(i) && toErrorOutput ? { json: { error: { message: failureMessage(json), ...record } } } : { json: record };
			const paired = pairedTo ? pairedTo[i] : i;
			if (paired !== undefined) item.pairedItem = { item: paired };
			return item;
		}),
	];
}
