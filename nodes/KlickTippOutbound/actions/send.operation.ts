import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { deliverRun, finishRun, oncePerContact, planItems } from '../../core/outbound/handle';
import { deliveryDeps, emit, withNodeErrors } from './common';
import { inputJson, itemConfigReader, readSetup } from './read';

/**
 * Delivers the outbound for each input item: every item is planned first (core/outbound/handle.ts), so a parameter
 * error stops the run before anything is sent; the planned requests all go to their receiver hosts, which pace
 * them (window, pause, circuit breaker); each item gets its record, in input order.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const run = await withNodeErrors(this, async () => {
		const items = inputJson(this);
		const setup = await readSetup(this);
		const once = oncePerContact(setup, () => this.getWorkflowStaticData('node'), Date.now(), true);
		const plans = planItems(setup, items, itemConfigReader(this, setup), once);
		const results = await deliverRun(
			setup,
			plans.map((plan) => (plan.kind === 'send' ? plan.built : null)),
			deliveryDeps(this, setup),
			() => this.getWorkflowStaticData('node'),
		);
		return finishRun(setup, items, plans, results, once);
	});
	return emit(this, run);
}
