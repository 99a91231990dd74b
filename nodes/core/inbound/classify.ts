/**
 * Event classification for the KlickTipp Outbound Trigger: contact data or deletion request, and KlickTipp's
 * "Save and test" request. No n8n imports.
 */
import type { EventKind, EventTypeSetting, Params } from './types';

export const DEFAULT_EVENT_PARAMETER = 'event';
/** Values of the event parameter that mean "deletion request" (compared trimmed and case-insensitively). */
export const DELETION_VALUES: readonly string[] = ['deletion', 'delete', 'deletion_request', 'deletion-request', 'deletionrequest'];
/** KlickTipp's "Save and test" sends this fake contact ID. */
export const TEST_CONTACT_ID = '12345';

/** The value of a parameter by exact name, else by case-insensitive name; arrays give their last entry. */
export function paramByName(params: Params, name: string): unknown {
	let value: unknown;
	if (Object.prototype.hasOwnProperty.call(params, name)) {
		value = params[name];
	} else {
		const lower = name.toLowerCase();
		const key = Object.keys(params).find((k) => k.toLowerCase() === lower);
		value = key === undefined ? undefined : params[key];
	}
	return Array.isArray(value) ? value[value.length - 1] : value;
}

/**
 * contactData / deletionRequest are taken as configured; `auto` reads the parameter `eventParameter`
 * (default `event`) and answers deletionRequest for deletion / delete / deletion_request (any case).
 */
export function classifyEvent(
	params: Params,
	eventType: EventTypeSetting | string,
	eventParameter: string = DEFAULT_EVENT_PARAMETER,
): EventKind {
	if (eventType === 'deletionRequest') return 'deletionRequest';
	if (eventType !== 'auto') return 'contactData';
	const name = typeof eventParameter === 'string' && eventParameter.trim() !== '' ? eventParameter.trim() : DEFAULT_EVENT_PARAMETER;
	const value = paramByName(params, name);
	if (typeof value !== 'string') return 'contactData';
	return DELETION_VALUES.includes(value.trim().toLowerCase()) ? 'deletionRequest' : 'contactData';
}

/** True for KlickTipp's "Save and test" request (contact ID 12345). */
export function isTestEvent(contactId: string | undefined): boolean {
	return contactId === TEST_CONTACT_ID;
}
