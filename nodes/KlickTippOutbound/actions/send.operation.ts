import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { mapConcurrent } from '../../core/outbound/concurrency';
import { deliver } from '../../core/outbound/deliver';
import { deliveryOptions, finishRun, oncePerContact, planItems } from '../../core/outbound/handle';
import { deliveryDeps, emit, withNodeErrors } from './common';
import { inputJson, itemConfigReader, readSetup } from './read';

/**
 * Delivers the outbound for each input item: every item is planned first (core/outbound/handle.ts), so a parameter
 * error stops the run before anything is sent; the planned requests go out with bounded concurrency; each item gets
 * its record, in input order.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const run = await withNodeErrors(this, async () => {
		const items = inputJson(this);
		const setup = await readSetup(this);
		const once = oncePerContact(setup, () => this.getWorkflowStaticData('node'), Date.now(), true);
		const plans = planItems(setup, items, itemConfigReader(this, setup), once);
		const deps = deliveryDeps(this, setup);
		const results = await mapConcurrent(plans, setup.options.concurrency, async (plan) =>
			plan.kind === 'send' ? await deliver(plan.built.request, deliveryOptions(setup, plan.built), deps) : null,
		);
		return finishRun(setup, items, plans, results, once);
	});
	return emit(this, run);
}
