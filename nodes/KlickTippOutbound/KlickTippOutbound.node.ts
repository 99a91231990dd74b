import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';

import * as preview from './actions/preview.operation';
import * as redeliver from './actions/redeliver.operation';
import * as send from './actions/send.operation';
import * as sendTest from './actions/sendTest.operation';
import { klickTippOutboundApiTest } from '../shared/credential-test';
import { operationProperties, outboundProperties } from './description';

/**
 * KlickTipp Outbound: defines an outbound exactly like KlickTipp's form (the canvas is the registry, KlickTipp
 * has no API for outbounds) and delivers it for each input item, reliably. See docs/outbound.md.
 */
export class KlickTippOutbound implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'KlickTipp Outbound',
		name: 'klickTippOutbound',
		icon: { light: 'file:../../icons/klicktipp.svg', dark: 'file:../../icons/klicktipp.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{ $parameter["operation"] === "redeliver" ? "redeliver" : $parameter["operation"] + ": " + $parameter["outboundName"] }}',
		description: 'Deliver KlickTipp outbounds (webhooks): contact data and deletion requests, mapped, signed and retried',
		defaults: { name: 'KlickTipp Outbound' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'klickTippOutboundApi',
				required: true,
				testedBy: 'klickTippOutboundApiTest',
				displayOptions: { show: { authentication: ['apiKey', 'basicAuth', 'bearerToken', 'signature'] } },
			},
		],
		properties: [...operationProperties, ...outboundProperties],
	};

	methods = {
		credentialTest: { klickTippOutboundApiTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0, 'send') as string;
		if (operation === 'send') return await send.execute.call(this);
		if (operation === 'preview') return await preview.execute.call(this);
		if (operation === 'sendTest') return await sendTest.execute.call(this);
		if (operation === 'redeliver') return await redeliver.execute.call(this);
		throw new NodeOperationError(this.getNode(), `Parameter "Operation" (operation) has an unknown value "${operation}"`);
	}
}
