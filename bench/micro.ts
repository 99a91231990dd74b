/**
 * Core micro-benchmarks (no n8n): contacts mapped per second (email + fields with default values + static values +
 * URL placeholders) and Standard Webhooks signatures verified per second over a 1 KB body, next to the machine's
 * raw HMAC-SHA256 rate over the same bytes (the upper limit for verification).
 */
import { createHmac, randomBytes } from 'node:crypto';

import { mapItem, type MappingConfig } from '../nodes/core/outbound/mapping';
import { expandPlaceholders } from '../nodes/core/outbound/placeholders';
import { signPayload, verifySignature } from '../nodes/core/signature';

export interface MicroResult {
	mapPerSec: number;
	verifyPerSec: number;
	hmacPerSec: number;
	bodyBytes: number;
}

/** Runs `fn` in batches until `ms` elapsed (after a short warm-up); returns calls per second. */
function rate(fn: (i: number) => unknown, ms: number): number {
	const warm = Date.now() + Math.min(300, ms / 4);
	let i = 0;
	while (Date.now() < warm) fn(i++);
	const start = process.hrtime.bigint();
	const end = start + BigInt(ms) * 1_000_000n;
	let n = 0;
	let now = start;
	let sink = 0;
	while (now < end) {
		for (let k = 0; k < 1000; k++) {
			const r = fn(n++);
			if (r) sink++;
		}
		now = process.hrtime.bigint();
	}
	if (sink < 0) console.log(sink); // keep the results alive
	return n / (Number(now - start) / 1e9);
}

/** A contact as the trigger emits it (normalized fields), with 10 custom fields. */
function contact(i: number): Record<string, unknown> {
	return {
		event: 'contactData',
		eventId: `evt_${i}`,
		contact: {
			id: String(100000 + i),
			email: `max.mustermann+${i}@example.de`,
			firstName: 'Jürgen',
			lastName: 'Müller-Lüdenscheidt',
			phone: '+491701234567',
			fields: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`field${k}`, k % 3 === 0 ? '' : `Wert ${k} äöü`])),
		},
	};
}

export function runMicro(msEach = 2000): MicroResult {
	const contacts = Array.from({ length: 1024 }, (_, i) => contact(i));
	const url = 'https://crm.example.com/hook/__contact_id__?list=__list__&src=__source__';
	const map = (i: number) => {
		const json = contacts[i & 1023];
		const c = json.contact as Record<string, any>;
		// the node evaluates the field expressions per item; the core gets the values
		const config: MappingConfig = {
			sendEmail: true,
			emailParameterName: 'email',
			fields: [
				{ value: c.id, parameterName: 'contact_id', defaultValue: '' },
				{ value: c.firstName, parameterName: 'first_name', defaultValue: '' },
				{ value: c.lastName, parameterName: 'last_name', defaultValue: '' },
				{ value: c.phone, parameterName: 'phone', defaultValue: '' },
				...Object.entries(c.fields as Record<string, string>).map(([k, v]) => ({ value: v, parameterName: k, defaultValue: 'n/a' })),
			],
			staticValues: [
				{ name: 'list', value: 'newsletter' },
				{ name: 'source', value: 'klicktipp' },
			],
		};
		const params = mapItem(json, config);
		return expandPlaceholders(url, params);
	};
	const mapPerSec = rate(map, msEach);

	const secret = `whsec_${randomBytes(24).toString('base64')}`;
	const body = Buffer.from(
		new URLSearchParams(
			Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`CustomField${1000 + k}`, `Wert ${k} äöü `.repeat(2)])),
		).toString(),
	).subarray(0, 1024);
	const now = Math.floor(Date.now() / 1000);
	const headers = signPayload(secret, 'msg_bench_1', body, now);
	const verifyPerSec = rate(() => verifySignature(secret, headers, body, now).ok, msEach);
	const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
	const prefix = `msg_bench_1.${now}.`;
	const hmacPerSec = rate(() => createHmac('sha256', key).update(prefix, 'utf8').update(body).digest('base64'), msEach);
	return { mapPerSec, verifyPerSec, hmacPerSec, bodyBytes: body.length };
}
