import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { oncePerContact, previewRun } from '../../core/outbound/handle';
import { withNodeErrors } from './common';
import { inputJson, itemConfigReader, readSetup } from './read';

/**
 * Builds the request each item would get and outputs it — method, URL, exact body and headers, with the API key,
 * password and signing secret masked — without sending anything and without touching the once-per-contact state.
 * Every item is `skipped`; its reason says what `send` would do, from the same plan `send` uses.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await withNodeErrors(this, async () => {
		const items = inputJson(this);
		const setup = await readSetup(this);
		const now = Date.now();
		const once = oncePerContact(setup, () => this.getWorkflowStaticData('node'), now, false);
		const records = previewRun(setup, items, itemConfigReader(this, setup), once, now);
		return [records.map((json, i) => ({ json: json as IDataObject, pairedItem: { item: i } }))];
	});
}
