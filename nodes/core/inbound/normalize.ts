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

/** A field of the clean contact a received parameter can be mapped to ("Parameter Names" option). */
export type ContactField = 'id' | 'email' | 'firstName' | 'lastName' | 'phone' | 'field';
export const CONTACT_FIELDS: readonly ContactField[] = ['id', 'email', 'firstName', 'lastName', 'phone', 'field'];

/** One entry of "Parameter Names": the parameter name set in KlickTipp → a field of the contact. */
export interface ParameterRename {
	parameterName: string;
	contactField: ContactField;
	/** For `field`: the key under `contact.fields` (e.g. `tarif` or `field219989`). */
	fieldName?: string;
}

/** KlickTipp's default parameter names per field of the contact, in order of preference. */
const DEFAULT_NAMES: Record<Exclude<ContactField, 'field'>, readonly string[]> = {
	id: ['SubscriberID', 'contact_id', 'id'],
	email: ['email', 'EmailAddress'],
	firstName: ['CustomFieldFirstName'],
	lastName: ['CustomFieldLastName'],
	phone: ['PhoneNumber', 'CustomFieldPhone', 'smsnumber'],
};

/**
 * The "Parameter Names" option as n8n hands it (`{ mapping: [{ parameterName, contactField, fieldName }] }`),
 * checked: the entries, or what is wrong with which entry (an empty parameter name, an unknown field, a custom
 * field without a name, a parameter name given twice).
 */
export function parseParameterNames(raw: unknown): { ok: true; renames: ParameterRename[] } | { ok: false; problem: string } {
	const list = raw && typeof raw === 'object' ? (raw as { mapping?: unknown }).mapping : undefined;
	if (list === undefined || list === null) return { ok: true, renames: [] };
	if (!Array.isArray(list)) return { ok: false, problem: 'it is not a list of mappings' };
	const renames: ParameterRename[] = [];
	const seen = new Set<string>();
	for (const [i, entry] of list.entries()) {
		const e = (entry ?? {}) as Record<string, unknown>;
		const parameterName = String(e.parameterName ?? '').trim();
		const contactField = CONTACT_FIELDS.find((f) => f === e.contactField);
		const fieldName = String(e.fieldName ?? '').trim();
		const where = `mapping ${i + 1}${parameterName ? ` ("${parameterName.slice(0, 60)}")` : ''}`;
		if (parameterName === '') return { ok: false, problem: `${where} has no Parameter Name` };
		if (!contactField) return { ok: false, problem: `${where} maps to the unknown contact field "${String(e.contactField ?? '').slice(0, 40)}"` };
		if (contactField === 'field' && fieldName === '') return { ok: false, problem: `${where} maps to a custom field but has no Field Name` };
		if (seen.has(parameterName.toLowerCase())) return { ok: false, problem: `${where}: the Parameter Name is mapped twice` };
		seen.add(parameterName.toLowerCase());
		renames.push(contactField === 'field' ? { parameterName, contactField, fieldName } : { parameterName, contactField });
	}
	return { ok: true, renames };
}

export function normalizeContact(params: Params, renames: readonly ParameterRename[] = []): Contact {
	return normalizeContactWithUse(params, renames).contact;
}

/**
 * The clean contact, and the received parameters it did not use (in the order received): neither one of
 * KlickTipp's default names (any letter case), nor a `CustomField<X>`, nor mapped under "Parameter Names", nor one
 * of `ignore` (e.g. the event parameter). A renamed field then shows up there instead of vanishing silently.
 * A mapped parameter is preferred to KlickTipp's default names of the same field.
 */
export function normalizeContactWithUse(
	params: Params,
	renames: readonly ParameterRename[] = [],
	ignore: readonly string[] = [],
): { contact: Contact; unused: string[] } {
	const contact: Contact = { fields: {} };
	const namesOf = (field: Exclude<ContactField, 'field'>): string[] => [
		...renames.filter((r) => r.contactField === field).map((r) => r.parameterName),
		...DEFAULT_NAMES[field],
	];
	const id = first(params, namesOf('id'));
	if (id !== undefined) contact.id = id;
	const email = first(params, namesOf('email'));
	if (email !== undefined) contact.email = email.toLowerCase();
	const firstName = first(params, namesOf('firstName'));
	if (firstName !== undefined) contact.firstName = firstName;
	const lastName = first(params, namesOf('lastName'));
	if (lastName !== undefined) contact.lastName = lastName;
	const phone = first(params, namesOf('phone'));
	if (phone !== undefined) contact.phone = normalizePhone(phone);
	for (const key of Object.keys(params)) {
		const match = /^customfield(.+)$/i.exec(key);
		if (!match) continue;
		const value = params[key];
		contact.fields[`field${match[1]}`] = Array.isArray(value) ? value[value.length - 1] : value;
	}
	for (const r of renames) {
		if (r.contactField !== 'field' || !r.fieldName) continue;
		const value = valueByName(params, r.parameterName);
		if (value !== undefined) contact.fields[r.fieldName] = Array.isArray(value) ? value[value.length - 1] : value;
	}
	const known = new Set(
		[...Object.values(DEFAULT_NAMES).flat(), ...renames.map((r) => r.parameterName), ...ignore].map((n) => n.toLowerCase()),
	);
	const unused = Object.keys(params).filter((key) => !known.has(key.toLowerCase()) && !/^customfield./i.test(key));
	return { contact, unused };
}
