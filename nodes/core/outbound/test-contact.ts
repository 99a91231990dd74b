/**
 * KlickTipp's "Save and test" sends one request for the fake contact ID 12345. The sendTest operation does the
 * same whatever the input: every field carries its default value (the test contact has no real data), a field
 * named like a contact ID carries 12345, and `SubscriberID=12345` is added when no parameter carries the ID.
 * No n8n imports.
 */
import { TEST_CONTACT_ID } from '../events';
import type { MappingConfig } from './mapping';

export const TEST_CONTACT_EMAIL = 'test@example.com';

const CONTACT_ID_NAMES = /^(subscriberid|subscriber_id|contactid|contact_id|id)$/i;

/** The synthetic input item of a test request (shaped like the trigger's output item). */
export function testContactItem(): Record<string, unknown> {
	return {
		event: 'contactData',
		eventId: `klicktipp-test-${TEST_CONTACT_ID}`,
		isTest: true,
		contact: { id: TEST_CONTACT_ID, email: TEST_CONTACT_EMAIL, fields: {} },
	};
}

/** The mapping used for the test request (see the file comment). */
export function testMapping(config: MappingConfig): MappingConfig {
	let carriesId = false;
	const fields = config.fields.map((f) => {
		if (CONTACT_ID_NAMES.test((f.parameterName ?? '').trim())) {
			carriesId = true;
			return { ...f, value: TEST_CONTACT_ID };
		}
		return { ...f, value: f.defaultValue ?? '' };
	});
	if (config.staticValues.some((s) => CONTACT_ID_NAMES.test((s.name ?? '').trim()))) carriesId = true;
	if (config.sendEmail && CONTACT_ID_NAMES.test(config.emailParameterName.trim())) carriesId = true;
	if (!carriesId) fields.push({ value: TEST_CONTACT_ID, parameterName: 'SubscriberID', defaultValue: '' });
	return { ...config, fields };
}
