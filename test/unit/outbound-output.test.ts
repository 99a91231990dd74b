import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { auditRecord, failureMessage, maskedRecord, requestView } from '../../nodes/core/outbound/output';

const item = {
	event: 'contactData',
	contact: { id: '4711', email: 'Max@Example.de', firstName: 'Jürgen', lastName: '', fields: {} },
	email: 'other@example.de',
};

describe('outbound output: audit record', () => {
	it('a deletion request\'s audit record: contact ID, lower-cased email, outbound, status, time', () => {
		assert.deepEqual(auditRecord(item, 'CRM', 'delivered', Date.UTC(2026, 0, 1)), {
			contactId: '4711',
			email: 'max@example.de',
			outbound: 'CRM',
			status: 'delivered',
			attempts: 0,
			at: '2026-01-01T00:00:00.000Z',
		});
	});
	it('the ledger row: event id and received time from the trigger\'s item, HTTP status and attempts from the delivery', () => {
		const fromTrigger = { ...item, event: 'deletionRequest', eventId: 'evt_9f2c', receivedAt: '2026-01-01T00:00:00Z' };
		assert.deepEqual(auditRecord(fromTrigger, 'Deletion → CRM', 'failed', Date.UTC(2026, 0, 1, 0, 0, 3), { httpStatus: 503, attempts: 3 }), {
			eventId: 'evt_9f2c',
			receivedAt: '2026-01-01T00:00:00.000Z',
			contactId: '4711',
			email: 'max@example.de',
			outbound: 'Deletion → CRM',
			status: 'failed',
			httpStatus: 503,
			attempts: 3,
			at: '2026-01-01T00:00:03.000Z',
		});
		const odd = auditRecord({ ...fromTrigger, eventId: '', receivedAt: 'yesterday' }, 'CRM', 'failed', 0, { attempts: 1 });
		assert.ok(!('eventId' in odd) && !('receivedAt' in odd) && !('httpStatus' in odd), 'no empty or unreadable fields');
	});
});

describe('outbound output: request view, masking, failure message', () => {
	it('a request that was never built shows the method only', () => {
		assert.deepEqual(requestView(undefined, 'GET'), { method: 'GET', url: '', body: null });
	});
	it('masks every secret and drops undefined fields', () => {
		const record = maskedRecord(
			{ outbound: { name: 'CRM', label: '' }, status: 'failed', reason: 'HTTP 401: bad key k-123456', httpStatus: undefined, attempts: 1, durationMs: 3, request: { method: 'POST', url: 'https://x/?k=k-123456', body: null } },
			['k-123456'],
		);
		assert.equal('httpStatus' in record, false);
		assert.equal(record.reason, 'HTTP 401: bad key ***');
		assert.equal((record.request as { url: string }).url, 'https://x/?k=***');
	});
	it('the failure message names the outbound, the HTTP status when there is one, and the reason', () => {
		assert.equal(failureMessage({ outbound: { name: 'CRM' }, httpStatus: 503, reason: 'HTTP 503' }), 'Outbound "CRM" failed with HTTP 503: HTTP 503');
		assert.equal(failureMessage({ outbound: { name: 'CRM' }, reason: 'Timeout' }), 'Outbound "CRM" failed: Timeout');
		assert.equal(failureMessage({}), 'Outbound "" failed: unknown reason');
	});
});
