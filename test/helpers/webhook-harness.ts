/**
 * Hosts a webhook node in a small express app on 127.0.0.1 and drives its real `webhook()` through n8n-core's
 * real `WebhookContext`, the way n8n 2.4.8 does:
 *
 * - `parseIncomingMessage` (n8n-core) sets `req.contentType` / `req.encoding`;
 * - body pre-parsing mirrors n8n's `webhook-helpers.js parseRequestBody` + `middlewares/body-parser.js`:
 *   multipart/form-data → `req.body = { data, files }` (formidable-like: repeated fields are arrays, single ones
 *   are plain values) and NO `req.rawBody`; everything else → the raw body is read into `req.rawBody` (Buffer)
 *   and parsed for application/json (malformed → n8n itself answers 422 and the node never runs),
 *   application/x-www-form-urlencoded (`querystring.parse`, maxKeys 1000) and text/plain; skipped entirely
 *   when `options.binaryData` is truthy (node version 1);
 * - the node's answer (or, if it leaves the response open, n8n's onReceived answer) goes back over real HTTP.
 * Multipart is parsed with Node's own WHATWG FormData parser (undici), independent of the code under test.
 */
import './n8n-user-folder'; // first: n8n-core must not write ~/.n8n/config
import express from 'express';
import type { Server } from 'http';
import type { AddressInfo } from 'net';
import { parse as parseQueryString } from 'querystring';
import { createGunzip, createInflate } from 'zlib';
import type { Readable } from 'stream';
import { HookContext, parseIncomingMessage, WebhookContext } from 'n8n-core';
import {
	Workflow,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
	type IWebhookData,
	type IWebhookDescription,
	type IWebhookResponseData,
	type IWorkflowExecuteAdditionalData,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

export const PACKAGE_NAME = 'n8n-nodes-klicktipp-outbound';

export interface HarnessOptions {
	nodeType: INodeType;
	/** The node type name without package prefix, e.g. klickTippOutboundTrigger. */
	typeName: string;
	parameters: INodeParameters;
	/** Decrypted credential values by credential type; absent type → getCredentials throws like n8n. */
	credentials?: Record<string, Record<string, unknown>>;
	workflowId?: string;
	nodeId?: string;
	/** 'webhook' (production URL, default) or 'manual' (test URL). */
	mode?: WorkflowExecuteMode;
	/** Express's `trust proxy`, as n8n sets it from N8N_PROXY_HOPS (`app.set('trust proxy', proxyHops)` when > 0). */
	proxyHops?: number;
}

/** What happened inside the harness for one HTTP request. */
export interface WebhookRun {
	method: string;
	/** The value webhook() returned (undefined when n8n answered before the node ran, e.g. 422). */
	result?: IWebhookResponseData;
	/** The items per output when an execution would start. */
	workflowData?: INodeExecutionData[][];
	/** A thrown error (n8n answers 500). */
	error?: Error;
}

export interface Harness {
	url: string;
	runs: WebhookRun[];
	workflow: Workflow;
	node: INode;
	/** Calls webhookMethods.default[method] through n8n-core's real HookContext. */
	hook(method: 'checkExists' | 'create' | 'delete', mode?: WorkflowExecuteMode): Promise<boolean | undefined>;
	close(): Promise<void>;
}

type N8nRequest = express.Request & { rawBody?: Buffer; contentType?: string; encoding?: BufferEncoding };

async function readRaw(req: express.Request): Promise<Buffer> {
	let stream: Readable = req;
	const encoding = req.headers['content-encoding'];
	if (encoding === 'gzip') stream = req.pipe(createGunzip());
	else if (encoding === 'deflate') stream = req.pipe(createInflate());
	const chunks: Buffer[] = [];
	for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
	return Buffer.concat(chunks);
}

/** formidable (multiples: true) + n8n's normalizeFormData: arrays of values, one-element arrays unwrapped. */
async function parseMultipartLikeN8n(req: N8nRequest): Promise<{ data: Record<string, unknown>; files: Record<string, unknown> }> {
	const raw = await readRaw(req);
	const data: Record<string, unknown[]> = {};
	const files: Record<string, unknown[]> = {};
	try {
		const form = await new Response(raw, { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
		for (const [name, value] of form.entries()) {
			if (typeof value === 'string') (data[name] ??= []).push(value);
			else (files[name] ??= []).push({ originalFilename: value.name, mimetype: value.type, size: value.size });
		}
	} catch {
		// formidable's error is ignored by n8n (`form.parse(req, (_err, data, files) => ...)`): empty result
	}
	const unwrap = (o: Record<string, unknown[]>) =>
		Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
	return { data: unwrap(data), files: unwrap(files) };
}

/** n8n 2.4.8 parseRequestBody for a version-1 node. Returns false when n8n would have answered itself (422). */
async function preParse(req: N8nRequest, res: express.Response, parameters: INodeParameters): Promise<boolean> {
	parseIncomingMessage(req);
	const options = (parameters.options ?? {}) as { binaryData?: unknown };
	if (options.binaryData) return true;
	if (req.contentType === 'multipart/form-data') {
		req.body = await parseMultipartLikeN8n(req);
		return true;
	}
	req.rawBody = await readRaw(req);
	const { rawBody, contentType } = req;
	const encoding = (req.encoding ?? 'utf-8') as BufferEncoding;
	if (rawBody.length) {
		try {
			if (contentType === 'application/json') req.body = JSON.parse(rawBody.toString(encoding));
			else if (contentType === 'application/x-www-form-urlencoded')
				req.body = parseQueryString(rawBody.toString(encoding), undefined, undefined, { maxKeys: 1000 });
			else if (contentType === 'text/plain') req.body = rawBody.toString(encoding);
		} catch (error) {
			// n8n: UnprocessableRequestError('Failed to parse request body') → 422, the node never runs
			res.status(422).json({ code: 422, message: 'Failed to parse request body', hint: (error as Error).message });
			return false;
		}
	}
	if (!req.body) req.body = {};
	return true;
}

export async function startWebhookHarness(options: HarnessOptions): Promise<Harness> {
	const { nodeType, typeName, parameters } = options;
	const fullType = `${PACKAGE_NAME}.${typeName}`;
	const nodeTypes: INodeTypes = {
		getByName: () => nodeType,
		getByNameAndVersion: () => nodeType,
		getKnownTypes: () => ({}),
	};
	const node: INode = {
		id: options.nodeId ?? '8b6f3f1e-6d43-4a57-9d1c-0d1f6c1b2a01',
		name: 'KlickTipp Outbound Trigger',
		type: fullType,
		typeVersion: 1,
		position: [0, 0],
		parameters,
		webhookId: 'c0ffee00-0000-4000-8000-000000000001',
		credentials: Object.fromEntries(
			Object.keys(options.credentials ?? { klickTippOutboundApi: {} }).map((type) => [type, { id: '1', name: `${type} (test)` }]),
		),
	};
	const workflow = new Workflow({
		id: options.workflowId ?? 'wf-harness',
		name: 'harness',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		staticData: {},
	});
	const wfNode = workflow.getNode(node.name) as INode;
	const mode: WorkflowExecuteMode = options.mode ?? 'webhook';

	const credentialsHelper = {
		getDecrypted: async (_a: unknown, _nodeCredentials: unknown, type: string) => {
			const values = options.credentials?.[type];
			if (!values) throw new Error(`Credentials of type "${type}" not found`);
			return { ...values };
		},
	};
	const additional = (extra: Record<string, unknown>) =>
		({
			credentialsHelper,
			executionId: undefined,
			webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
			formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
			variables: {},
			...extra,
		}) as unknown as IWorkflowExecuteAdditionalData;

	const descriptions = nodeType.description.webhooks ?? [];
	const runs: WebhookRun[] = [];

	const app = express();
	app.disable('x-powered-by');
	if ((options.proxyHops ?? 0) > 0) app.set('trust proxy', options.proxyHops);
	app.use(async (request, res) => {
		const req = request as N8nRequest;
		const run: WebhookRun = { method: req.method };
		runs.push(run);
		try {
			const description = descriptions.find((d) => String(d.httpMethod).toUpperCase() === req.method) as IWebhookDescription | undefined;
			if (!description) {
				res.status(404).json({ code: 404, message: `The requested webhook "${req.method} ${req.path}" is not registered.` });
				return;
			}
			if (!(await preParse(req, res, parameters))) return;
			const additionalData = additional({ httpRequest: req, httpResponse: res });
			const webhookData: IWebhookData = {
				httpMethod: description.httpMethod as IWebhookData['httpMethod'],
				node: node.name,
				path: req.path,
				webhookDescription: description,
				workflowId: workflow.id,
				workflowExecuteAdditionalData: additionalData,
			};
			const context = new WebhookContext(workflow, wfNode, additionalData, mode, webhookData, [], null);
			const result = await (nodeType.webhook as (this: unknown) => Promise<IWebhookResponseData>).call(context);
			run.result = result;
			run.workflowData = result.workflowData;
			if (!result.noWebhookResponse && !res.headersSent) {
				// n8n's onReceived answer when the node leaves the response to n8n
				const code = workflow.expression.getSimpleParameterValue(wfNode, description.responseCode, mode, {}, undefined, 200);
				if (result.webhookResponse !== undefined) res.status(Number(code) || 200).send(result.webhookResponse);
				else res.status(200).json({ message: 'Workflow was started' });
			}
		} catch (error) {
			run.error = error as Error;
			if (!res.headersSent) res.status(500).json({ code: 0, message: 'Error in workflow' });
		}
	});

	const server: Server = await new Promise((resolve) => {
		const s = app.listen(0, '127.0.0.1', () => resolve(s));
	});
	const { port } = server.address() as AddressInfo;

	return {
		url: `http://127.0.0.1:${port}/webhook/${(parameters.path as string) || node.webhookId}`,
		runs,
		workflow,
		node: wfNode,
		async hook(method, hookMode = 'trigger') {
			const description = descriptions[0];
			const webhookData: IWebhookData = {
				httpMethod: description.httpMethod as IWebhookData['httpMethod'],
				node: node.name,
				path: String(parameters.path ?? ''),
				webhookDescription: description,
				workflowId: workflow.id,
				workflowExecuteAdditionalData: additional({}),
			};
			const context = new HookContext(workflow, wfNode, additional({}), hookMode, 'activate', webhookData);
			const fn = nodeType.webhookMethods?.default?.[method];
			return fn ? await fn.call(context) : undefined;
		},
		close: () =>
			new Promise<void>((resolve, reject) => {
				server.closeAllConnections?.();
				server.close((error) => (error ? reject(error) : resolve()));
			}),
	};
}

/** Sends a request with Node's fetch and returns status, headers and the JSON (or text) body. */
export async function send(
	url: string,
	init: { method?: string; headers?: Record<string, string>; body?: string | Buffer | FormData; query?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; text: string }> {
	const target = new URL(url);
	for (const [k, v] of Object.entries(init.query ?? {})) target.searchParams.append(k, v);
	const response = await fetch(target, { method: init.method ?? 'POST', headers: init.headers, body: init.body as RequestInit['body'] });
	const text = await response.text();
	let json: Record<string, unknown> = {};
	try {
		json = JSON.parse(text) as Record<string, unknown>;
	} catch {
		json = {};
	}
	return { status: response.status, headers: response.headers, json, text };
}
