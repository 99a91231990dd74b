import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { OutboundOutput } from '../../core/outbound/build';
import { deliver } from '../../core/outbound/deliver';
import { testContactItem, testMapping } from '../../core/outbound/test-contact';
import { buildFor, deliveryDeps, deliveryError, deliveryOptions, errorOutputItem, outputItem, readSetup } from './common';
import { requestView } from './send.operation';

/**
 * KlickTipp's "Save and test": one request for the test contact (ID 12345), whatever the input. It is sent even
 * when the outbound is inactive or not subscribed to contact data — it is an explicit test — and it does not
 * count for once-per-contact. Output: one item, paired to the first input item.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const setup = await readSetup(this);
	const base = setup.configFor(0);
	const config = { ...base, mapping: testMapping(base.mapping) };
	const json = testContactItem();
	const built = buildFor(this, setup, json, 0, config);
	const result = await deliver(built.request, deliveryOptions(setup, built), deliveryDeps(this, setup));
	const output: OutboundOutput = {
		outbound: { name: setup.name, label: setup.label },
		status: result.status,
		reason: result.reason,
		httpStatus: result.httpStatus,
		attempts: result.attempts,
		durationMs: result.durationMs,
		request: requestView(built, built.request.method),
	};
	if (setup.options.logResponseBody && result.responseBody !== undefined) output.response = { body: result.responseBody };
	const item = outputItem(output, setup.secrets, items.length > 0 ? 0 : undefined);
	if (result.status === 'failed') {
		if (this.getNode().onError === 'continueErrorOutput') return [[errorOutputItem(item)]];
		else if (!this.continueOnFail()) throw deliveryError(this, item.json, 0, 'The test request for contact 12345 failed.');
	}
	return [[item]];
}
