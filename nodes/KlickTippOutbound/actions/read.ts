/**
 * Reads the action node's parameters and input, nothing more: core/outbound/setup.ts validates them and holds the
 * defaults.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import type { KlickTippCredential } from '../../core/credential';
import { CREDENTIAL_TYPE } from '../../core/credential';
import type { OutboundConfig } from '../../core/outbound/build';
import type { OutboundSetup, RedeliverySetup } from '../../core/outbound/setup';
import { DEFAULTS, itemConfig, parseRedeliverySetup, parseSetup } from '../../core/outbound/setup';

/** The input items' JSON. */
export function inputJson(ctx: IExecuteFunctions): Array<Record<string, unknown>> {
	return ctx.getInputData().map((item) => item.json as Record<string, unknown>);
}

export async function readSetup(ctx: IExecuteFunctions): Promise<OutboundSetup> {
	const format = ctx.getNode().parameters.format;
	return await parseSetup(
		{
			outboundName: ctx.getNodeParameter('outboundName', 0, ''),
			label: ctx.getNodeParameter('label', 0, ''),
			active: ctx.getNodeParameter('active', 0, true),
			events: ctx.getNodeParameter('events', 0, DEFAULTS.events),
			authentication: ctx.getNodeParameter('authentication', 0, DEFAULTS.authentication),
			options: ctx.getNodeParameter('options', 0, {}) as IDataObject,
			method: ctx.getNodeParameter('method', 0, DEFAULTS.method),
			format: ctx.getNodeParameter('format', 0, DEFAULTS.format),
			formatSet: format !== undefined && format !== '',
		},
		async () => (await ctx.getCredentials(CREDENTIAL_TYPE, 0)) as KlickTippCredential,
	);
}

/** Redeliver's parameters: the authentication (and its credential), the options and the static values (fill values). */
export async function readRedeliverySetup(ctx: IExecuteFunctions): Promise<RedeliverySetup> {
	return await parseRedeliverySetup(
		{
			authentication: ctx.getNodeParameter('authentication', 0, DEFAULTS.authentication),
			options: ctx.getNodeParameter('options', 0, {}) as IDataObject,
			staticValues: ctx.getNodeParameter('staticValues', 0, {}),
		},
		async () => (await ctx.getCredentials(CREDENTIAL_TYPE, 0)) as KlickTippCredential,
	);
}

function hasExpression(value: unknown): boolean {
	if (typeof value === 'string') return value.startsWith('=');
	if (Array.isArray(value)) return value.some(hasExpression);
	if (value && typeof value === 'object') return Object.values(value).some(hasExpression);
	return false;
}

/** Each item's configuration; read once when no per-item parameter holds an expression. */
export function itemConfigReader(ctx: IExecuteFunctions, setup: OutboundSetup): (itemIndex: number) => OutboundConfig {
	const raw = ctx.getNode().parameters;
	const perItem =
		['url', 'sendEmail', 'emailParameterName', 'fields', 'staticValues'].some((p) => hasExpression(raw[p])) ||
		hasExpression((raw.options as IDataObject | undefined)?.headers);
	const read = (i: number): OutboundConfig =>
		itemConfig(
			setup,
			{
				url: ctx.getNodeParameter('url', i, ''),
				sendEmail: ctx.getNodeParameter('sendEmail', i, DEFAULTS.sendEmail),
				emailParameterName: ctx.getNodeParameter('emailParameterName', i, DEFAULTS.emailParameterName),
				fields: ctx.getNodeParameter('fields', i, {}),
				staticValues: ctx.getNodeParameter('staticValues', i, {}),
				headers: (ctx.getNodeParameter('options', i, {}) as IDataObject).headers,
			},
			i,
		);
	let shared: OutboundConfig | undefined;
	return (i) => (perItem ? read(i) : (shared ??= read(0)));
}
