/**
 * What the e2e tests send and build: KlickTipp-shaped requests (form POST, JSON POST, GET, signed), and workflow
 * nodes for our trigger and action node with the parameter names fixed by issues 2 and 3.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

import { OUTBOUND_TYPE, TRIGGER_TYPE, type WorkflowNode } from './harness';

export const SECRETS = {
	apiKey: `ak_${randomBytes(12).toString('hex')}`,
	username: 'klicktipp',
	password: `pw_${randomBytes(9).toString('hex')}`,
	signingSecret: `whsec_${randomBytes(24).toString('base64')}`,
};

export const CREDENTIAL_TYPE = 'klickTippOutboundApi';

export function credentialData(kind: 'apiKey' | 'basicAuth' | 'signature' | 'all', keyLocation = 'body') {
	const all = {
		apiKey: SECRETS.apiKey,
		keyName: 'apiKey',
		keyLocation,
		username: SECRETS.username,
		password: SECRETS.password,
		signingSecret: SECRETS.signingSecret,
	};
	if (kind === 'all') return all;
	if (kind === 'apiKey') return { apiKey: all.apiKey, keyName: all.keyName, keyLocation };
	if (kind === 'basicAuth') return { keyName: 'apiKey', keyLocation, username: all.username, password: all.password };
	return { keyName: 'apiKey', keyLocation, signingSecret: all.signingSecret };
}

/** A realistic KlickTipp contact-data outbound (parameter names as KlickTipp's own templates use them). */
export function contactParams(n: number | string, extra: Record<string, string> = {}): Record<string, string> {
	return {
		SubscriberID: String(n),
		email: `  Max.Mustermann+${n}@Example.DE `,
		CustomFieldFirstName: 'Jürgen',
		CustomFieldLastName: 'Müller-Lüdenscheidt',
		PhoneNumber: '00491701234567',
		CustomField219989: 'Gold Kunde',
		...extra,
	};
}

export function formBody(params: Record<string, string>): string {
	return new URLSearchParams(params).toString();
}

export async function postForm(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
	return await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
		body: formBody(params),
	});
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
	return await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
}

export async function get(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
	return await fetch(`${url}?${new URLSearchParams(params)}`, { headers });
}

export function basicAuth(user: string, password: string): Record<string, string> {
	return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}

/** Standard Webhooks headers made by the reference implementation (not our own signer). */
export function signedHeaders(body: string, opts: { secret?: string; at?: Date; id?: string } = {}): Record<string, string> {
	const id = opts.id ?? `msg_${randomUUID()}`;
	const at = opts.at ?? new Date();
	const wh = new Webhook(opts.secret ?? SECRETS.signingSecret);
	return {
		'webhook-id': id,
		'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
		'webhook-signature': wh.sign(id, at, body),
	};
}

export function triggerNode(
	path: string,
	parameters: { authentication?: string; eventType?: string; options?: Record<string, unknown> } = {},
	credential?: { id: string; name: string },
	name = 'KlickTipp Outbound Trigger',
): WorkflowNode {
	return {
		name,
		type: TRIGGER_TYPE,
		typeVersion: 1,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: {
			path,
			authentication: parameters.authentication ?? 'none',
			eventType: parameters.eventType ?? 'contactData',
			options: parameters.options ?? {},
		},
		...(credential ? { credentials: { klickTippOutboundApi: credential } } : {}),
	};
}

export function outboundNode(
	name: string,
	parameters: Record<string, unknown>,
	credential?: { id: string; name: string },
	position: [number, number] = [300, 0],
): WorkflowNode {
	return {
		name,
		type: OUTBOUND_TYPE,
		typeVersion: 1,
		position,
		parameters: { resource: 'outbound', operation: 'send', ...parameters },
		...(credential ? { credentials: { klickTippOutboundApi: credential } } : {}),
	};
}

/** connections for `from` (output index) → `to` */
export function connect(
	pairs: Array<[from: string, to: string, output?: number]>,
): Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> {
	const out: Record<string, { main: Array<Array<{ node: string; type: 'main'; index: number }>> }> = {};
	for (const [from, to, output = 0] of pairs) {
		out[from] ??= { main: [] };
		while (out[from].main.length <= output) out[from].main.push([]);
		out[from].main[output].push({ node: to, type: 'main', index: 0 });
	}
	return out;
}
