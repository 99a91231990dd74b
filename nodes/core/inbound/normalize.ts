/**
 * Normalization of KlickTipp outbound parameters into a contact. No n8n imports.
 *
 * - `SubscriberID` (any case), else `contact_id`, else `id` → `contact.id` (string, trimmed)
 * - `email`, else `EmailAddress` (any case) → `contact.email` (trimmed, lower case)
 * - `CustomFieldFirstName` / `CustomFieldLastName` → `firstName` / `lastName`
 * - `PhoneNumber`, else `CustomFieldPhone`, else `smsnumber` → `phone` in E.164 when it can be parsed
 *   (`0049170…` → `+49170…`, `+49 (0)170 123-45` → `+4917012345`); otherwise kept as given
 * - every `CustomField<X>` → `fields.field<X>` (the REST API's names), values as received
 * A repeated parameter (array) contributes its last non-empty value.
 */
import { valueByName } from '../lookup';
import type { Params } from './types';

export interface Contact {
	id?: string;
	email?: string;
	firstName?: string;
	lastName?: string;
	phone?: string;
	fields: Record<string, unknown>;
}

function text(value: unknown): string | undefined {
	if (Array.isArray(value)) {
		for (let i = value.length - 1; i >= 0; i--) {
			const t = text(value[i]);
			if (t !== undefined) return t;
		}
		return undefined;
	}
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	if (typeof value === 'bigint') return String(value);
	if (typeof value !== 'string') return undefined;
	const trimmed = value.trim();
	return trimmed === '' ? undefined : trimmed;
}

function first(params: Params, names: readonly string[]): string | undefined {
	for (const name of names) {
		const value = text(valueByName(params, name));
		if (value !== undefined) return value;
	}
	return undefined;
}

/**
 * E.164 for numbers that carry their country: `00<cc>…` or `+<cc>…`, separators (spaces, `-`, `.`, `/`,
 * parentheses) and a national trunk `(0)` removed; 8 to 15 digits. Anything else is returned unchanged
 * (trimmed): a national number like `0170…` has no country, and inventing one would be wrong.
 */
export function normalizePhone(input: string): string {
	const given = input.trim();
	let s = given.replace(/\(0\)/g, '').replace(/[\s\-./()\u00a0]/g, '');
	if (s.startsWith('00')) s = `+${s.slice(2)}`;
	if (/^\+[1-9]\d{7,14}$/.test(s)) return s;
	return given;
}

export function normalizeContact(params: Params): Contact {
	const contact: Contact = { fields: {} };
	const id = first(params, ['SubscriberID', 'contact_id', 'id']);
	if (id !== undefined) contact.id = id;
	const email = first(params, ['email', 'EmailAddress']);
	if (email !== undefined) contact.email = email.toLowerCase();
	const firstName = first(params, ['CustomFieldFirstName']);
	if (firstName !== undefined) contact.firstName = firstName;
	const lastName = first(params, ['CustomFieldLastName']);
	if (lastName !== undefined) contact.lastName = lastName;
	const phone = first(params, ['PhoneNumber', 'CustomFieldPhone', 'smsnumber']);
	if (phone !== undefined) contact.phone = normalizePhone(phone);
	for (const key of Object.keys(params)) {
		const match = /^customfield(.+)$/i.exec(key);
		if (!match) continue;
		const value = params[key];
		contact.fields[`field${match[1]}`] = Array.isArray(value) ? value[value.length - 1] : value;
	}
	return contact;
}
