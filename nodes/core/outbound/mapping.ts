/**
 * Mapping of one input item to the parameters an outbound sends, exactly as KlickTipp's outbound form defines
 * them: the email address (always sent unless switched off), fields (each with a parameter name and a default
 * value used when the value is empty) and static values. No n8n imports.
 */
import { OutboundParameterError } from './errors';

export interface OutboundField {
	/** The value for this item (usually an n8n expression evaluated by the node). */
	value: unknown;
	/** The name under which the value is sent. */
	parameterName: string;
	/** Sent when the value is empty (undefined, null, '' or only whitespace). */
	defaultValue?: unknown;
}

export interface StaticValue {
	name: string;
	value: unknown;
	/** Marked "Secret": masked in every record (see secret-values.ts); also by its name (token, password, …). */
	secret?: boolean;
}

export interface MappingConfig {
	sendEmail: boolean;
	emailParameterName: string;
	fields: OutboundField[];
	staticValues: StaticValue[];
}

/** A parameter the outbound carries, in the order the request sends it. */
export type OutboundParams = Array<[name: string, value: string]>;

/** A mapping error naming the node parameter it is about ("fields", "staticValues", "emailParameterName"). */
export class MappingError extends OutboundParameterError {}

/** The email address of an input item: `json.contact.email`, else `json.email`; '' when there is none. */
export function emailOf(json: Record<string, unknown>): string {
	const contact = json.contact;
	if (contact && typeof contact === 'object' && !Array.isArray(contact)) {
		const fromContact = (contact as Record<string, unknown>).email;
		if (typeof fromContact === 'string' && fromContact.trim() !== '') return fromContact.trim();
	}
	const direct = json.email;
	if (typeof direct === 'string' && direct.trim() !== '') return direct.trim();
	return '';
}

/** The contact ID of an input item (`json.contact.id`, else `json.SubscriberID`/`json.id`), '' when there is none. */
export function contactIdOf(json: Record<string, unknown>): string {
	const contact = json.contact;
	const candidates: unknown[] = [];
	if (contact && typeof contact === 'object' && !Array.isArray(contact)) {
		candidates.push((contact as Record<string, unknown>).id);
	}
	candidates.push(json.SubscriberID, json.contactId, json.id);
	for (const c of candidates) {
		if (typeof c === 'string' && c.trim() !== '') return c.trim();
		if (typeof c === 'number' && Number.isFinite(c)) return String(c);
	}
	return '';
}

export function isEmptyValue(value: unknown): boolean {
	return (
		value === undefined ||
		value === null ||
		(typeof value === 'string' && value.trim() === '') ||
		(Array.isArray(value) && value.length === 0)
	);
}

/** Turns any value into the string that travels on the wire (objects as JSON, dates as ISO 8601). */
export function toParamString(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'string') return value;
	if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : value.toISOString();
	try {
		return JSON.stringify(value) ?? '';
	} catch {
		return String(value);
	}
}

/**
 * Names that occur more than once among the configured parameter names (email, fields, static values and any
 * extra names such as an API key sent as a static value). Comparison is exact: receivers such as PHP's $_REQUEST
 * treat `Email` and `email` as different parameters.
 */
export function duplicateNames(names: ReadonlyArray<string>): string[] {
	const seen = new Set<string>();
	const dup = new Set<string>();
	for (const name of names) {
		if (seen.has(name)) dup.add(name);
		seen.add(name);
	}
	return [...dup];
}

/**
 * Builds the parameters for one item. Throws MappingError naming the parameter for: an empty parameter name,
 * an empty static value name, duplicate names (listing them). `reservedNames` are names added later by the
 * caller (e.g. the API key as a static value) and take part in the duplicate check.
 */
export function mapItem(
	json: Record<string, unknown>,
	config: MappingConfig,
	reservedNames: ReadonlyArray<string> = [],
): OutboundParams {
	const params: OutboundParams = [];
	if (config.sendEmail) {
		const name = (config.emailParameterName ?? '').trim();
		if (name === '') throw new MappingError('The email parameter name is empty', 'emailParameterName');
		params.push([name, emailOf(json)]);
	}
	config.fields.forEach((field, index) => {
		const name = (field.parameterName ?? '').trim();
		if (name === '') {
			throw new MappingError(`Field ${index + 1} has no parameter name`, 'fields');
		}
		const value = isEmptyValue(field.value) ? field.defaultValue : field.value;
		params.push([name, toParamString(value)]);
	});
	config.staticValues.forEach((sv, index) => {
		const name = (sv.name ?? '').trim();
		if (name === '') throw new MappingError(`Static value ${index + 1} has no name`, 'staticValues');
		params.push([name, toParamString(sv.value)]);
	});
	const dups = duplicateNames([...params.map(([n]) => n), ...reservedNames]);
	if (dups.length > 0) {
		const where = whereDuplicated(dups, config, reservedNames);
		throw new MappingError(
			`Duplicate parameter name${dups.length > 1 ? 's' : ''}: ${dups.map((d) => `"${d}"`).join(', ')} — every parameter name must be unique`,
			where,
		);
	}
	return params;
}

function whereDuplicated(dups: string[], config: MappingConfig, reserved: ReadonlyArray<string>): string {
	const d = new Set(dups);
	const inFields = config.fields.some((f) => d.has((f.parameterName ?? '').trim()));
	const inStatic = config.staticValues.some((s) => d.has((s.name ?? '').trim()));
	if (inFields && !inStatic) return 'fields';
	if (inStatic && !inFields) return 'staticValues';
	if (inFields && inStatic) return 'fields';
	if (reserved.some((r) => d.has(r))) return 'credential keyName';
	return 'emailParameterName';
}
