import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { deliverRun, finishRedeliveries, planRedeliveries } from '../../core/outbound/handle';
import { deliveryDeps, emit, withNodeErrors } from './common';
import { inputJson, readRedeliverySetup } from './read';

/**
 * Sends failed delivery records again (a dead-letter workflow's step): each item's record is planned first
 * (core/outbound/handle.ts: keep, give up or send), due records get one attempt each (more only while their host is flapping or down, within the Outage Budget) with the credential applied
 * now and the same webhook-id, and every record comes out updated by the schedule, in input order. Dead records are
 * the failures (error output, or the node's error).
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const run = await withNodeErrors(this, async () => {
		const setup = await readRedeliverySetup(this);
		const plans = planRedeliveries(setup, inputJson(this), Date.now());
		const results = await deliverRun(
			setup,
			plans.map((plan) => (plan.kind === 'send' ? { request: plan.authorized, webhookId: plan.request.webhookId } : null)),
			deliveryDeps(this, setup),
			() => this.getWorkflowStaticData('node'),
		);
		return finishRedeliveries(setup, plans, results);
	});
	return emit(this, run);
}
