import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { deliver } from '../../core/outbound/deliver';
import { deliveryOptions, finishRun, planTest } from '../../core/outbound/handle';
import { deliveryDeps, emit, withNodeErrors } from './common';
import { itemConfigReader, readSetup } from './read';

/**
 * KlickTipp's "Save and test": one request for the test contact (ID 12345), whatever the input (see planTest).
 * Output: one item, paired to the first input item.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const run = await withNodeErrors(this, async () => {
		const setup = await readSetup(this);
		const { json, plan } = planTest(setup, itemConfigReader(this, setup)(0));
		const result = await deliver(plan.built.request, deliveryOptions(setup, plan.built), deliveryDeps(this, setup));
		return finishRun(setup, [json], [plan], [result], undefined, { test: true });
	});
	return emit(this, run, [this.getInputData().length > 0 ? 0 : undefined]);
}
