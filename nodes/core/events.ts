/**
 * KlickTipp's two outbound events and its test contact, for both nodes: the trigger classifies what it receives,
 * the action node tells which event an item is. No n8n imports.
 */

export type EventKind = 'contactData' | 'deletionRequest';

/** Values of an event parameter that mean "deletion request" (compared trimmed and case-insensitively). */
export const DELETION_VALUES: readonly string[] = ['deletion', 'delete', 'deletion_request', 'deletion-request', 'deletionrequest'];

/** The event a value names: a deletion request for one of DELETION_VALUES, contact data for anything else. */
export function eventKindOf(value: unknown): EventKind {
	return typeof value === 'string' && DELETION_VALUES.includes(value.trim().toLowerCase()) ? 'deletionRequest' : 'contactData';
}

/** KlickTipp's "Save and test" sends this fake contact ID. */
export const TEST_CONTACT_ID = '12345';
