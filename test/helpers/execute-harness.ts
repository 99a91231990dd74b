/**
 * Runs the KlickTipp Outbound node through n8n-core's real execution engine: a `Workflow` (n8n-workflow) with an
 * input node feeding our node, executed by n8n-core's `WorkflowExecute` — the same code n8n 2.4.x runs — so
 * parameter resolution, `getCredentials` (through additionalData.credentialsHelper), `this.helpers.httpRequest`
 * (n8n-core's axios-based helper), static data, "On Error" handling and the error-output routing
 * (`handleNodeErrorOutput`) are n8n's own. Only the credential store is a stand-in (it returns decrypted data
 * the test supplies), as n8n's CLI would after decrypting from its database.
 */
import './n8n-user-folder'; // first: n8n-core must not write ~/.n8n/config
import { Container } from '@n8n/di';
import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import { SSHClientsManager } from 'n8n-core/dist/execution-engine/ssh-clients-manager';
import {
	ICredentialsHelper,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type IDataObject,
	type IExecuteFunctions,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type ITaskData,
	type IWorkflowExecuteAdditionalData,
	type IHttpRequestOptions,
	type OnError,
} from 'n8n-workflow';

import { KlickTippOutbound } from '../../nodes/KlickTippOutbound/KlickTippOutbound.node.js';

export const PACKAGE = 'n8n-nodes-klicktipp-outbound';
export const OUTBOUND_TYPE = `${PACKAGE}.klickTippOutbound`;
const INPUT_TYPE = 'harness.items';
export const NODE_NAME = 'KlickTipp Outbound';

/** A source node that outputs items registered in `feeds` under its parameter `feed`. */
const feeds = new Map<string, INodeExecutionData[]>();
let feedCounter = 0;

class ItemsNode implements INodeType {
	description = {
		displayName: 'Items',
		name: INPUT_TYPE,
		group: ['input'],
		version: 1,
		description: 'Test input',
		defaults: { name: 'Items' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Feed', name: 'feed', type: 'string', default: '' }] as INodeProperties[],
	} as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const feed = this.getNodeParameter('feed', 0) as string;
		return [feeds.get(feed) ?? []];
	}
}

class NodeTypes implements INodeTypes {
	private readonly types: Record<string, INodeType> = {
		[OUTBOUND_TYPE]: new KlickTippOutbound(),
		[INPUT_TYPE]: new ItemsNode(),
	};
	getByName(name: string): INodeType {
		return this.types[name];
	}
	getByNameAndVersion(name: string): INodeType {
		return this.types[name];
	}
	getKnownTypes() {
		return {};
	}
}

class CredentialsHelper extends ICredentialsHelper {
	constructor(private readonly store: Record<string, ICredentialDataDecryptedObject>) {
		super();
	}
	getParentTypes(): string[] {
		return [];
	}
	async authenticate(_c: ICredentialDataDecryptedObject, _t: string, requestOptions: IHttpRequestOptions): Promise<IHttpRequestOptions> {
		return requestOptions;
	}
	async preAuthentication(): Promise<undefined> {
		return undefined;
	}
	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used by the harness');
	}
	async getDecrypted(_a: IWorkflowExecuteAdditionalData, _n: unknown, type: string): Promise<ICredentialDataDecryptedObject> {
		const data = this.store[type];
		if (!data) throw new Error(`No credential of type ${type} in the harness`);
		return { ...data };
	}
	async updateCredentials(): Promise<void> {}
	async updateCredentialsOauthTokenData(): Promise<void> {}
	getCredentialsProperties(): INodeProperties[] {
		return [];
	}
}

export interface RunOptions {
	items: IDataObject[];
	parameters: INodeParameters;
	credential?: Record<string, unknown>;
	onError?: OnError;
	/** Workflow static data to start from (what n8n loaded from its database); updated in place. */
	staticData?: IDataObject;
}

export interface RunResult {
	run: IRun;
	/** Items of the outbound node's main output. */
	main: INodeExecutionData[];
	/** Items of the error output (only with onError continueErrorOutput). */
	errorOutput: INodeExecutionData[];
	/** The node's error when it failed. */
	error?: ITaskData['error'];
	/** Static data after the run (what n8n would save). */
	staticData: IDataObject;
}

export async function runOutbound(options: RunOptions): Promise<RunResult> {
	const feed = `feed-${++feedCounter}`;
	feeds.set(feed, options.items.map((json) => ({ json })));
	const input: INode = {
		id: 'items-1',
		name: 'Items',
		type: INPUT_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: { feed },
	};
	const outbound: INode = {
		id: 'outbound-1',
		name: NODE_NAME,
		type: OUTBOUND_TYPE,
		typeVersion: 1,
		position: [200, 0],
		parameters: options.parameters,
		...(options.onError ? { onError: options.onError } : {}),
		...(options.credential ? { credentials: { klickTippOutboundApi: { id: 'cred-1', name: 'KlickTipp Outbound API' } } } : {}),
	};
	const staticData = options.staticData ?? {};
	const workflow = new Workflow({
		id: 'wf-outbound-test',
		name: 'outbound test',
		nodes: [input, outbound],
		connections: { Items: { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] } },
		active: true,
		nodeTypes: new NodeTypes(),
		staticData,
	});
	const hooks = new ExecutionLifecycleHooks('trigger', `exec-${feedCounter}`, {
		id: workflow.id,
		name: workflow.name,
		nodes: [input, outbound],
		connections: {},
		active: true,
		activeVersionId: null,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
	} as never);
	const additionalData = {
		credentialsHelper: new CredentialsHelper(options.credential ? { klickTippOutboundApi: options.credential as ICredentialDataDecryptedObject } : {}),
		hooks,
		executionId: `exec-${feedCounter}`,
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		variables: {},
		currentNodeExecutionIndex: 0,
		executeWorkflow: async () => {
			throw new Error('not supported');
		},
		getRunExecutionData: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('not supported');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
	try {
		const run = await new WorkflowExecute(additionalData, 'trigger').run(workflow, input);
		const task = run.data.resultData.runData[NODE_NAME]?.[0];
		const main = task?.data?.main?.[0] ?? [];
		const errorOutput = task?.data?.main?.[1] ?? [];
		// n8n's hooks would persist workflow.staticData here; the harness hands it back.
		return { run, main, errorOutput, error: task?.error ?? run.data.resultData.error, staticData: workflow.staticData };
	} finally {
		feeds.delete(feed);
		unrefBackgroundTimers();
	}
}

/**
 * n8n-core creates an SSHClientsManager singleton for every ExecuteContext; its 60 s cleanup interval keeps a
 * test process alive (in n8n it lives as long as the server). Unref it so `node --test` exits.
 */
function unrefBackgroundTimers(): void {
	const manager = Container.get(SSHClientsManager) as unknown as { cleanupTimer?: { unref?: () => void } };
	manager.cleanupTimer?.unref?.();
}
