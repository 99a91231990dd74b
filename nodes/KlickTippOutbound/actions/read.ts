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

/**
 * Each item's configuration. A parameter without an expression is read once (for item 0), one with an expression
 * for every item; with no expression at all the whole configuration is built once. n8n resolves every parameter it
 * is asked for (the Options collection with all its entries), which for thousands of items is most of the node's
 * own work.
 */
export function itemConfigReader(ctx: IExecuteFunctions, setup: OutboundSetup): (itemIndex: number) => OutboundConfig {
	const raw = ctx.getNode().parameters;
	// Which parameters hold an expression, decided once (Headers is an entry of Options)
	const perItem = new Set(['url', 'sendEmail', 'emailParameterName', 'fields', 'staticValues'].filter((p) => hasExpression(raw[p])));
	if (hasExpression((raw.options as IDataObject | undefined)?.headers)) perItem.add('options');
	const once = new Map<string, unknown>();
	const param = (name: string, i: number, fallback: unknown): unknown => {
		if (perItem.has(name)) return ctx.getNodeParameter(name, i, fallback);
		if (!once.has(name)) once.set(name, ctx.getNodeParameter(name, 0, fallback));
		return once.get(name);
	};
	const read = (i: number): OutboundConfig =>
		itemConfig(
			setup,
			{
				url: param('url', i, '') as string,
				sendEmail: param('sendEmail', i, DEFAULTS.sendEmail) as boolean,
				emailParameterName: param('emailParameterName', i, DEFAULTS.emailParameterName) as string,
				fields: param('fields', i, {}),
				staticValues: param('staticValues', i, {}),
				headers: (param('options', i, {}) as IDataObject).headers,
			},
			i,
		);
	let shared: OutboundConfig | undefined;
	return (i) => (perItem.size > 0 ? read(i) : (shared ??= read(0)));
}
