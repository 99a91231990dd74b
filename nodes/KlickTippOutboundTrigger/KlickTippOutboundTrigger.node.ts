import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { CREDENTIAL_TYPE, type KlickTippCredential } from '../core/credential';
import { dedupeScope, processDedupeStore } from '../core/inbound/dedupe';
import { DEFAULT_DEDUPE_SECONDS, handleInboundRequest, triggerConfigProblem, type TriggerConfig } from '../core/inbound/handle';
import { klickTippOutboundApiTest } from '../shared/credential-test';

const URL_STEP =
	'In KlickTipp open Automation › Webhook (Automatisierung › Webhook), create or edit the webhook and paste the Production URL shown above (under "Webhook URLs") into "Activation URL" (Aktivierungs-URL).';
const METHOD_STEP =
	'Request method (Request Methode): POST (recommended) or GET; both work on the same URL. The email address is always sent; add more fields with "Felder einfügen" and keep or change their parameter names (Parametername).';
const SAVE_STEP =
	'Click "Save and test": KlickTipp sends a test request for contact ID 12345, which this node marks with isTest: true (or ignores, see Options). Activate (publish) this workflow so the Production URL answers.';

/**
 * A notice with numbered steps. n8n's editor (2.4.8 and 2.41.x alike) sanitizes notice text down to the tags
 * a, ul and li (bold, line breaks and code are stripped, so text joined by them runs together): the steps are
 * therefore list items, one per line, numbered in their text.
 */
function stepsNotice(title: string, steps: string[], after = ''): string {
	const items = steps.map((step, i) => `<li>${i + 1}. ${step}</li>`).join('');
	return `${title}:<ul>${items}</ul>${after}`;
}

/** The trigger's options as the core reads them (checked by the core). */
function readOptions(options: IDataObject): Omit<TriggerConfig, 'authentication' | 'eventType'> {
	return {
		eventParameter: typeof options.eventParameter === 'string' ? options.eventParameter : undefined,
		ignoreTestEvents: options.ignoreTestEvents === true,
		dedupeSeconds: options.dedupeSeconds === undefined ? DEFAULT_DEDUPE_SECONDS : Number(options.dedupeSeconds),
		includeRawBody: options.includeRawBody === true,
		includeHeaders: options.includeHeaders === true,
		parameterNames: options.parameterNames,
		ipAllowlist: options.ipAllowlist,
	};
}

/**
 * Trigger for KlickTipp outbounds (Automation › Webhook): contact-data and deletion-request events.
 * A thin shell: all parsing, authentication, normalization and duplicate detection is in nodes/core/inbound.
 */
export class KlickTippOutboundTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'KlickTipp Outbound Trigger',
		name: 'klickTippOutboundTrigger',
		icon: { light: 'file:../../icons/klicktipp.svg', dark: 'file:../../icons/klicktipp.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["eventType"] === "auto" ? "Contact data + deletion requests" : $parameter["eventType"] === "deletionRequest" ? "Deletion requests" : "Contact data"}}',
		description: 'Starts the workflow when a KlickTipp outbound (webhook) sends contact data or a deletion request',
		defaults: { name: 'KlickTipp Outbound Trigger' },
		inputs: [],
		outputs: `={{$parameter["eventType"] === "auto" ? [{ "type": "main", "displayName": "Contact Data" }, { "type": "main", "displayName": "Deletion" }] : [{ "type": "main", "displayName": $parameter["eventType"] === "deletionRequest" ? "Deletion" : "Contact Data" }]}}`,
		credentials: [
			{
				name: 'klickTippOutboundApi',
				required: true,
				testedBy: 'klickTippOutboundApiTest',
				displayOptions: { show: { authentication: ['apiKey', 'basicAuth', 'bearerToken', 'signature'] } },
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				responseCode: '={{$parameter["options"]["responseCode"] || 200}}',
				// '' (not n8n's default firstEntryJson): n8n answers with the node's webhookResponse
				responseData: '',
				path: '={{$parameter["path"]}}',
				isFullPath: true,
			},
			{
				name: 'default',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				responseCode: '={{$parameter["options"]["responseCode"] || 200}}',
				// '' (not n8n's default firstEntryJson): n8n answers with the node's webhookResponse
				responseData: '',
				path: '={{$parameter["path"]}}',
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: '',
				placeholder: 'klicktipp-contacts',
				description:
					'The URL path this trigger listens on (GET and POST). Leave empty to use the ID n8n generated for this node.',
			},
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: [
					{
						name: 'API Key (Static Value)',
						value: 'apiKey',
						description: 'KlickTipp sends a secret key as a static value, URL parameter or header',
					},
					{
						name: 'Basic Auth',
						value: 'basicAuth',
						description: 'Username and password in the Activation URL (https://user:pass@host/…)',
					},
					{
						name: 'Bearer Token',
						value: 'bearerToken',
						description:
							'The sender sends Authorization: Bearer with the credential\'s Bearer Token (e.g. the KlickTipp Outbound node; KlickTipp itself cannot)',
					},
					{
						name: 'None',
						value: 'none',
						description: 'Anyone who knows the URL can start the workflow',
					},
					{
						name: 'Signature (Standard Webhooks)',
						value: 'signature',
						description:
							'Only for senders that sign their requests (e.g. the KlickTipp Outbound node); KlickTipp itself does not sign',
					},
				],
				default: 'apiKey',
			},
			{
				displayName: stepsNotice(
					'Setup in KlickTipp (API key)',
					[
						URL_STEP,
						METHOD_STEP,
						'Add a static value (a parameter with a fixed Vorgabewert): parameter name = the credential\'s "API Key Parameter Name" (default apiKey), value = the credential\'s "API Key". If the credential\'s "API Key Location" is "URL Query Parameter", append ?apiKey=&lt;your key&gt; to the Activation URL instead.',
						SAVE_STEP,
					],
					'Wrong or missing key: answered 401, nothing starts.',
				),
				name: 'setupNoticeStaticValue',
				type: 'notice',
				default: '',
				displayOptions: { show: { authentication: ['apiKey'] } },
			},
			{
				displayName: stepsNotice(
					'Setup in KlickTipp (Basic Auth)',
					[
						`${URL_STEP} Put the credential's username and password in front of the host: https://USERNAME:PASSWORD@your-n8n-host/webhook/… (URL-encode special characters, e.g. @ as %40).`,
						METHOD_STEP,
						SAVE_STEP,
					],
					'Wrong or missing login: answered 401 with WWW-Authenticate, nothing starts.',
				),
				name: 'setupNoticeBasicAuth',
				type: 'notice',
				default: '',
				displayOptions: { show: { authentication: ['basicAuth'] } },
			},
			{
				displayName: `Signature authentication works only for senders that sign each request with the Standard Webhooks headers webhook-id, webhook-timestamp and webhook-signature (e.g. the KlickTipp Outbound node with the same credential). KlickTipp's own webhooks are not signed: for them choose "API Key (Static Value)". Signed requests must be POST with a JSON or form-urlencoded body; more than 5 minutes clock difference is refused.`,
				name: 'setupNoticeSignature',
				type: 'notice',
				default: '',
				displayOptions: { show: { authentication: ['signature'] } },
			},
			{
				displayName:
					'Bearer Token authentication works only for senders that send the header Authorization: Bearer with the credential\'s Bearer Token (e.g. the KlickTipp Outbound node with Authentication "Bearer Token" and the same credential). KlickTipp\'s own webhooks cannot send headers: for them choose "API Key (Static Value)".',
				name: 'setupNoticeBearerToken',
				type: 'notice',
				default: '',
				displayOptions: { show: { authentication: ['bearerToken'] } },
			},
			{
				displayName: stepsNotice(
					'No authentication: anyone who knows the URL can start this workflow. Prefer "API Key (Static Value)". Setup in KlickTipp',
					[URL_STEP, METHOD_STEP, SAVE_STEP],
				),
				name: 'setupNoticeNone',
				type: 'notice',
				default: '',
				displayOptions: { show: { authentication: ['none'] } },
			},
			{
				displayName: 'Event Type',
				name: 'eventType',
				type: 'options',
				options: [
					{
						name: 'Contact Data',
						value: 'contactData',
						description: 'Every request is contact data (a webhook activated by a tag, SmartTag, SmartLink or campaign)',
					},
					{
						name: 'Deletion Request',
						value: 'deletionRequest',
						description: 'Every request is a deletion request (the webhook selected in Tools › Privacy Dashboard › Settings)',
					},
					{
						name: 'Auto (Two Outputs)',
						value: 'auto',
						description:
							'Decide per request by a static value (default parameter "event"): deletion, delete or deletion_request go to the second output',
					},
				],
				default: 'contactData',
			},
			{
				displayName:
					'For Auto, add a static value named "event" (or the name set under Options › Event Parameter) with the value "deletion" to the deletion webhook in KlickTipp. A request without it (missing or misspelled) is answered 200 and goes to "Contact Data": a deletion request would then delete nothing. For deletion requests prefer a trigger of their own with Event Type "Deletion Request": every request on it is a deletion, marker or not.',
				name: 'autoNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { eventType: ['auto'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				options: [
					{
						displayName: 'Duplicate Window (Seconds)',
						name: 'dedupeSeconds',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: DEFAULT_DEDUPE_SECONDS,
						description:
							'The same event (same parameters, or the same webhook ID header when signed) again within this many seconds is answered 200 "duplicate" and starts nothing. 0 turns it off. Kept in the memory of this n8n process.',
					},
					{
						displayName: 'Event Parameter',
						name: 'eventParameter',
						type: 'string',
						default: 'event',
						description:
							'For Event Type "Auto": the parameter whose value deletion, delete or deletion_request (any case) marks a deletion request',
					},
					{
						displayName: 'Ignore Test Events',
						name: 'ignoreTestEvents',
						type: 'boolean',
						default: false,
						description:
							'Whether to answer KlickTipp\'s "Save and test" request (contact ID 12345) with 200 and start nothing. Off: it starts the workflow with isTest: true.',
					},
					{
						displayName: 'Include Headers',
						name: 'includeHeaders',
						type: 'boolean',
						default: false,
						description: 'Whether to add the request headers as request.headers (authentication headers masked)',
					},
					{
						displayName: 'Include Raw Body',
						name: 'includeRawBody',
						type: 'boolean',
						default: false,
						description:
							'Whether to add the body exactly as received as rawBody, with secrets masked (not available for multipart bodies)',
					},
					{
						displayName: 'IP Allowlist',
						name: 'ipAllowlist',
						type: 'string',
						default: '',
						placeholder: 'e.g. 203.0.113.7, 198.51.100.0/24, 2001:db8::/32',
						description:
							'Only these addresses and CIDR ranges (IPv4 and IPv6, separated by commas) may call the trigger; others get 403 before anything starts. Empty = everyone. Behind a reverse proxy set N8N_PROXY_HOPS, as for n8n\'s Webhook node.',
					},
					{
						displayName: 'Parameter Names',
						name: 'parameterNames',
						type: 'fixedCollection',
						typeOptions: { multipleValues: true },
						placeholder: 'Add Parameter Name',
						default: {},
						description:
							'For fields whose parameter name (Parametername) you changed in KlickTipp: which field of the contact each one fills. Parameters the contact does not use are listed in unmappedParameters of each item.',
						options: [
							{
								displayName: 'Mapping',
								name: 'mapping',
								values: [
									{
										displayName: 'Parameter Name',
										name: 'parameterName',
										type: 'string',
										default: '',
										placeholder: 'e.g. vorname',
										description: 'The parameter name as set in KlickTipp (any letter case)',
									},
									{
										displayName: 'Contact Field',
										name: 'contactField',
										type: 'options',
										options: [
											{ name: 'Contact ID', value: 'id' },
											{ name: 'Custom Field', value: 'field', description: 'Stored in contact.fields under the Field Name' },
											{ name: 'Email Address', value: 'email' },
											{ name: 'First Name', value: 'firstName' },
											{ name: 'Last Name', value: 'lastName' },
											{ name: 'Phone', value: 'phone' },
										],
										default: 'firstName',
									},
									{
										displayName: 'Field Name',
										name: 'fieldName',
										type: 'string',
										default: '',
										placeholder: 'e.g. tarif or field219989',
										description: 'The key under contact.fields',
										displayOptions: { show: { contactField: ['field'] } },
									},
								],
							},
						],
					},
					{
						displayName: 'Response Code',
						name: 'responseCode',
						type: 'number',
						typeOptions: { minValue: 200, maxValue: 299 },
						default: 200,
						description: 'The HTTP status for accepted, duplicate and ignored requests (2xx). Refused requests always get 4xx.',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: { klickTippOutboundApiTest },
	};

	webhookMethods = {
		default: {
			// KlickTipp has no API to create, list or delete outbounds: the user pastes the URL into KlickTipp.
			// These methods therefore manage only this node's local state in this n8n process.
			async checkExists(this: IHookFunctions): Promise<boolean> {
				// Nothing to look up remotely; returning false lets n8n call create() on every activation.
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				// Invalid options stop the activation here, naming the option (requests would be answered 500 otherwise).
				const problem = triggerConfigProblem(readOptions(this.getNodeParameter('options', {}) as IDataObject));
				if (problem) throw new NodeOperationError(this.getNode(), problem.message);
				// A fresh activation starts with an empty duplicate memory for this node.
				const node = this.getNode();
				const test = this.getMode() === 'manual';
				processDedupeStore.clear(dedupeScope(this.getWorkflow().id, node.id, test));
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				// n8n calls delete with the same mode for test and production webhooks, so only the test memory is
				// cleared here; production entries expire by their window (and are cleared on the next activation).
				const node = this.getNode();
				processDedupeStore.clear(dedupeScope(this.getWorkflow().id, node.id, true));
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const req = this.getRequestObject() as ReturnType<IWebhookFunctions['getRequestObject']> & { rawBody?: Buffer };
		const res = this.getResponseObject();
		const authentication = this.getNodeParameter('authentication', 'apiKey') as string;
		const eventType = this.getNodeParameter('eventType', 'contactData') as string;
		const options = this.getNodeParameter('options', {}) as IDataObject;

		let credential: KlickTippCredential | undefined;
		if (authentication !== 'none') {
			try {
				credential = (await this.getCredentials(CREDENTIAL_TYPE)) as KlickTippCredential;
			} catch {
				credential = undefined; // answered below as "credential incomplete" (401), never accepted
			}
		}

		const config: TriggerConfig = { authentication, eventType, ...readOptions(options) };
		const node = this.getNode();
		const outcome = handleInboundRequest(
			{
				method: req.method,
				contentType: req.headers['content-type'],
				rawBody: Buffer.isBuffer(req.rawBody) ? req.rawBody : undefined,
				body: req.body,
				query: req.query,
				url: req.originalUrl ?? req.url,
				headers: req.headers,
				// as n8n's Webhook node: the client address under n8n's proxy setting (N8N_PROXY_HOPS → trust proxy)
				ip: req.ip,
				ips: Array.isArray(req.ips) ? req.ips : [],
			},
			config,
			{
				credential,
				dedupe: {
					store: processDedupeStore,
					scope: dedupeScope(this.getWorkflow().id, node.id, this.getMode() === 'manual'),
				},
			},
		);

		const code = Number(options.responseCode);
		const status = outcome.kind === 'rejected' ? outcome.httpStatus : code >= 200 && code <= 299 ? code : 200;
		for (const [name, value] of Object.entries(outcome.headers)) res.setHeader(name, value);

		if (outcome.kind !== 'accepted' || !outcome.item) {
			res.status(status).json(outcome.body);
			return { noWebhookResponse: true };
		}
		// Accepted: n8n sends the answer (status from the webhook's responseCode), and n8n >= 2.41 only after it has
		// stored and enqueued the execution, so a process dying in between does not answer 200 for a lost event.
		const item = { json: outcome.item as unknown as IDataObject };
		const workflowData = eventType === 'auto' ? (outcome.output === 1 ? [[], [item]] : [[item], []]) : [[item]];
		return { webhookResponse: outcome.body, workflowData };
	}
}
