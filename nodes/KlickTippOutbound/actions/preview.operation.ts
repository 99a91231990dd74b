import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { credentialFields } from '../../core/credential';
import { signRequest } from '../../core/outbound/auth';
import type { OutboundOutput } from '../../core/outbound/build';
import { auditRecord, eventOf } from '../../core/outbound/build';
import { contactIdOf, emailOf } from '../../core/outbound/mapping';
import type { OncePerContactState } from '../../core/outbound/once-per-contact';
import { contactKey, formatRemaining, windowRemainingMs } from '../../core/outbound/once-per-contact';
import { buildFor, outputItem, readSetup } from './common';
import { ONCE_PER_CONTACT_KEY, skipReason } from './send.operation';

/**
 * Builds the request each item would get and outputs it — method, URL, exact body and headers, with the API
 * key, password and signing secret masked — without sending anything and without touching the
 * once-per-contact state. Every item is `skipped`; its reason says what `send` would do.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const setup = await readSetup(this);
	const now = Date.now();
	const windowMs = setup.options.oncePerContactHours * 3_600_000;
	const state =
		windowMs > 0 ? (this.getWorkflowStaticData('node')[ONCE_PER_CONTACT_KEY] as OncePerContactState | undefined) : undefined;
	const out = items.map((item, i) => {
		const json = item.json as Record<string, unknown>;
		const config = setup.configFor(i);
		const built = buildFor(this, setup, json, i, config);
		let headers = { ...built.request.headers };
		const { signingSecret } = credentialFields(setup.credential);
		if (setup.authentication === 'signature' && signingSecret) {
			headers = signRequest(built.request, signingSecret, built.webhookId, Math.floor(now / 1000));
		}
		let reason = skipReason(setup, json);
		if (!reason && config.mapping.sendEmail && emailOf(json) === '') {
			reason = 'The item has no email address (json.contact.email or json.email): send would fail it';
		}
		if (!reason && state) {
			const remaining = windowRemainingMs(state, contactKey(contactIdOf(json), emailOf(json)), now, windowMs);
			if (remaining > 0) reason = `Once per contact: send would skip it (next possible in ${formatRemaining(remaining)})`;
		}
		const output: OutboundOutput = {
			outbound: { name: setup.name, label: setup.label },
			status: 'skipped',
			reason: reason ? `Preview, nothing sent. ${reason}` : 'Preview, nothing sent. Send would deliver this request.',
			attempts: 0,
			durationMs: 0,
			request: { method: built.request.method, url: built.request.url, body: built.request.body, headers },
		};
		if (eventOf(json) === 'deletionRequest') output.audit = auditRecord(json, setup.name, 'skipped', now);
		return outputItem(output, setup.secrets, i);
	});
	return [out];
}
