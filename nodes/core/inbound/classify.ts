/**
 * Event classification for the KlickTipp Outbound Trigger: contact data or deletion request, and KlickTipp's
 * "Save and test" request. No n8n imports.
 */
import type { EventKind } from '../events';
import { eventKindOf, TEST_CONTACT_ID } from '../events';
import { valueByName } from '../lookup';
import type { EventTypeSetting, Params } from './types';

export const DEFAULT_EVENT_PARAMETER = 'event';

/** The value of a parameter by exact name, else by case-insensitive name; arrays give their last entry. */
export function paramByName(params: Params, name: string): unknown {
	const value = valueByName(params, name);
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
	return eventKindOf(paramByName(params, name));
}

/** True for KlickTipp's "Save and test" request (contact ID 12345). */
export function isTestEvent(contactId: string | undefined): boolean {
	return contactId === TEST_CONTACT_ID;
}
