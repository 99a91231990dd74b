import type { INodeProperties } from 'n8n-workflow';

import { MAX_LIMIT } from '../core/outbound/limit';
import { DEFAULTS } from '../core/outbound/setup';

// The defaults live in the core (core/outbound/setup.ts). The node linter wants the defaults of options parameters
// (events, method, format, authentication) as literals: test/unit/outbound-setup.test.ts checks they equal the core's.
const {
	concurrency: DEFAULT_CONCURRENCY,
	outageBudgetSeconds: DEFAULT_OUTAGE_BUDGET_SECONDS,
	emailParameterName: DEFAULT_EMAIL_PARAMETER_NAME,
	maxAttempts: DEFAULT_MAX_ATTEMPTS,
	maxRedirects: MAX_REDIRECTS,
	maxRetryAfterSeconds: DEFAULT_MAX_RETRY_AFTER_SECONDS,
	oncePerContactHours: DEFAULT_ONCE_PER_CONTACT_HOURS,
	retryDelayMs: DEFAULT_RETRY_DELAY_MS,
	timeoutMs: DEFAULT_TIMEOUT_MS,
	schedule: DEFAULT_SCHEDULE,
	maxAgeHours: DEFAULT_MAX_AGE_HOURS,
	idempotencyHeader: DEFAULT_IDEMPOTENCY_HEADER,
} = DEFAULTS;

export const operationProperties: INodeProperties[] = [
	{
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options: [{ name: 'Outbound', value: 'outbound' }],
		default: 'outbound',
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['outbound'] } },
		options: [
			{
				name: 'Preview',
				value: 'preview',
				description: 'Build the request for each item and show it, secrets masked, without sending anything',
				action: 'Preview outbound requests',
			},
			{
				name: 'Redeliver',
				value: 'redeliver',
				description:
					'Send failed delivery records again (same request and webhook-ID, credential applied now) on a schedule; for a dead-letter workflow',
				action: 'Redeliver failed outbound requests',
			},
			{
				name: 'Send',
				value: 'send',
				description: 'Deliver the outbound for each input item, with retries',
				action: 'Send an outbound',
			},
			{
				name: 'Send Test',
				value: 'sendTest',
				description: "Send one request for KlickTipp's test contact (ID 12345), like KlickTipp's \"Save and test\"",
				action: 'Send a test outbound',
			},
		],
		default: 'send',
	},
];

export const outboundProperties: INodeProperties[] = [
	{
		displayName: 'Outbound Name',
		name: 'outboundName',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. CRM: new customer',
		description: 'A clear name, as in KlickTipp (Automation › Webhook). It appears in every output item and error.',
	},
	{
		displayName: 'Label',
		name: 'label',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'string',
		default: '',
		description: 'Optional label, as in KlickTipp',
	},
	{
		displayName: 'Active',
		name: 'active',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'boolean',
		default: true,
		description: 'Whether the outbound delivers. When inactive, every item is output as skipped.',
	},
	{
		displayName: 'Events',
		name: 'events',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'multiOptions',
		options: [
			{
				name: 'Contact Data',
				value: 'contactData',
				description: 'Items whose event is contactData, or that have no event',
			},
			{
				name: 'Deletion Request',
				value: 'deletionRequest',
				description: 'Items whose event is deletionRequest (Privacy Dashboard); their output carries an audit record',
			},
		],
		default: ['contactData'],
		description: 'Which events this outbound delivers. Items of other events are output as skipped.',
	},
	{
		displayName: 'URL',
		name: 'url',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'string',
		required: true,
		default: '',
		placeholder: 'https://crm.example.com/hooks/klicktipp?email=__email__',
		description:
			'The activation URL. Put any parameter the request carries into it by its name between two underscores on each side, e.g. __email__; the value is inserted URL-encoded.',
	},
	{
		displayName: 'Method',
		name: 'method',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'options',
		options: [
			{ name: 'DELETE', value: 'DELETE', description: 'Delete in a CRM (DELETE /contacts/__id__): every parameter goes into the URL query, no body' },
			{ name: 'GET', value: 'GET', description: 'Every parameter goes into the URL query' },
			{ name: 'PATCH', value: 'PATCH', description: 'Update part of a record: the parameters in the body, like POST' },
			{ name: 'POST', value: 'POST', description: 'The parameters in the body (KlickTipp\'s default)' },
			{ name: 'PUT', value: 'PUT', description: 'Replace a record: the parameters in the body, like POST' },
		],
		default: 'POST',
		description: 'The HTTP method the receiving system expects. KlickTipp offers POST and GET; PUT, PATCH and DELETE are for CRM APIs.',
	},
	{
		displayName: 'Format',
		name: 'format',
		type: 'options',
		displayOptions: { show: { method: ['POST', 'PUT', 'PATCH'] }, hide: { operation: ['redeliver'] } },
		options: [
			{ name: 'JSON', value: 'json', description: 'Content type application/JSON (recommended by KlickTipp)' },
			{ name: 'Form Data', value: 'form', description: 'Content type application/x-www-form-urlencoded, UTF-8' },
		],
		default: 'json',
		description: 'How the parameters are encoded in the body',
	},
	{
		displayName: 'Send Email Address',
		name: 'sendEmail',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'boolean',
		default: true,
		description:
			'Whether to send the contact\'s email address (from contact.email, else email), as KlickTipp always does',
	},
	{
		displayName: 'Email Parameter Name',
		name: 'emailParameterName',
		type: 'string',
		displayOptions: { show: { sendEmail: [true] }, hide: { operation: ['redeliver'] } },
		default: DEFAULT_EMAIL_PARAMETER_NAME,
		description: 'The parameter name under which the email address is sent',
	},
	{
		displayName: 'Fields',
		name: 'fields',
		displayOptions: { hide: { operation: ['redeliver'] } },
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Field',
		default: {},
		description: 'Contact fields to send, each under its own parameter name',
		options: [
			{
				displayName: 'Field',
				name: 'field',
				values: [
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						placeholder: '={{ $json.contact.firstName }}',
						description: 'The field value, usually an expression on the input item',
					},
					{
						displayName: 'Parameter Name',
						name: 'parameterName',
						type: 'string',
						default: '',
						placeholder: 'e.g. first_name',
						description: 'The name the receiving system expects',
					},
					{
						displayName: 'Default Value',
						name: 'defaultValue',
						type: 'string',
						default: '',
						description: 'Sent when the value is empty (KlickTipp\'s "Vorgabewert")',
					},
				],
			},
		],
	},
	{
		displayName: 'Static Values',
		name: 'staticValues',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Static Value',
		default: {},
		description:
			'Fixed extra parameters such as a routing key or a source name. Secret ones (marked Secret, or named like token, password, API key) are masked in every record. Redeliver: only fills the secret static values its records keep masked (same name).',
		options: [
			{
				displayName: 'Static Value',
				name: 'value',
				values: [
					{
						displayName: 'Name',
						name: 'name',
						type: 'string',
						default: '',
						placeholder: 'e.g. source',
					},
					{
						displayName: 'Value',
						name: 'value',
						type: 'string',
						default: '',
						placeholder: 'e.g. klicktipp',
					},
					{
						displayName: 'Secret',
						name: 'secret',
						type: 'boolean',
						default: false,
						description:
							'Whether the value is a secret (a token, a password): masked as *** in every output record, dead-letter row, error and preview; Redeliver fills it again from its own Static Values. Names like token, password, secret or apiKey count as secret anyway.',
					},
				],
			},
		],
	},
	{
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		options: [
			{
				name: 'API Key',
				value: 'apiKey',
				description: 'The credential\'s API key as a static value, query parameter or header',
			},
			{ name: 'Basic Auth', value: 'basicAuth' },
			{
				name: 'Bearer Token',
				value: 'bearerToken',
				description: 'Authorization: Bearer with the credential\'s Bearer Token (instead of typing it into Headers)',
			},
			{ name: 'None', value: 'none' },
			{
				name: 'Signature (Standard Webhooks)',
				value: 'signature',
				description: 'Headers webhook-ID, webhook-timestamp and webhook-signature over the exact body sent',
			},
		],
		default: 'none',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Adaptive Pacing',
				name: 'adaptivePacing',
				type: 'boolean',
				default: true,
				description:
					'Whether to learn how many requests the receiver takes at once: the number in flight grows while its answers stay as fast as when it is idle and shrinks when they slow down or it answers 429/503 or times out, between 1 and Concurrency. Off = always Concurrency. Either way a 429 or 503 with Retry-After pauses every request to that host.',
			},
			{
				displayName: 'Allow Private Targets',
				name: 'allowPrivateTargets',
				type: 'boolean',
				default: false,
				description:
					'Whether to allow loopback, private (RFC 1918), link-local, unique-local, CGNAT and cloud-metadata addresses. Off by default to prevent server-side request forgery.',
			},
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_LIMIT },
				default: DEFAULT_CONCURRENCY,
				description:
					'The most requests in flight to one receiver host, counted across all executions in this n8n process; with Adaptive Pacing the node finds the right number below it. Lower it for a CRM that must never get more at once. Output order is kept.',
			},
			{
				displayName: 'Follow Redirects',
				name: 'followRedirects',
				type: 'boolean',
				default: true,
				description: `Whether to follow up to ${MAX_REDIRECTS} redirects; every target is checked by the SSRF guard again and credential headers are dropped when the origin changes`,
			},
			{
				displayName: 'Headers',
				name: 'headers',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true },
				placeholder: 'Add Header',
				default: {},
				options: [
					{
						displayName: 'Header',
						name: 'header',
						values: [
							{ displayName: 'Name', name: 'name', type: 'string', default: '' },
							{ displayName: 'Value', name: 'value', type: 'string', default: '' },
						],
					},
				],
				description:
					'Extra HTTP headers sent with every request. Secret ones (Authorization, Proxy-Authorization, Cookie, names with token, secret, password, API key or auth) are masked in every record. Redeliver: only fills the secret headers its records keep masked (same name).',
			},
			{
				displayName: 'Idempotency Header',
				name: 'idempotencyHeader',
				displayOptions: { hide: { '/operation': ['redeliver'] } },
				type: 'string',
				default: DEFAULT_IDEMPOTENCY_HEADER,
				placeholder: 'Idempotency-Key',
				description:
					'The header that carries the delivery\'s stable ID on every request, whatever the authentication: the same ID when the item is sent again (retries, Redeliver, a Retry of the execution), so the receiver can drop duplicates. E.g. Idempotency-Key. Empty = none (a signed request still carries the Standard Webhooks headers).',
			},
			{
				displayName: 'Log Response Body',
				name: 'logResponseBody',
				type: 'boolean',
				default: false,
				description: 'Whether to put the receiver\'s response body into each output item (secrets masked)',
			},
			{
				displayName: 'Max Age (Hours)',
				name: 'maxAgeHours',
				displayOptions: { show: { '/operation': ['redeliver'] } },
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_MAX_AGE_HOURS,
				description: 'Give up on a record (dead) when its first attempt is older than this. 0 = no limit besides the schedule.',
			},
			{
				displayName: 'Max Attempts',
				name: 'maxAttempts',
				displayOptions: { hide: { '/operation': ['redeliver'] } },
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 20 },
				default: DEFAULT_MAX_ATTEMPTS,
				description:
					'Attempts per item including the first. Network errors, 408, 425, 429 and 5xx are retried; other answers are final. With an Outage Budget, an item whose receiver is down or flapping (failing other items too) keeps trying within the budget instead of failing.',
			},
			{
				displayName: 'Max Retry-After (Seconds)',
				name: 'maxRetryAfterSeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_MAX_RETRY_AFTER_SECONDS,
				description: 'Upper limit for a Retry-After the receiver asks for',
			},
			{
				displayName: 'Once per Contact (Hours)',
				name: 'oncePerContactHours',
				displayOptions: { hide: { '/operation': ['redeliver'] } },
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_ONCE_PER_CONTACT_HOURS,
				description:
					'0 = off. 6 = KlickTipp\'s tag rule: a second delivery of this outbound for the same contact within the window is skipped, across executions of an active workflow.',
			},
			{
				displayName: 'Outage Budget (Seconds)',
				name: 'outageBudgetSeconds',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_OUTAGE_BUDGET_SECONDS,
				description:
					'When the receiver is down (10 failures in a row: no answer, network errors, 5xx), no new request goes there; one probe checks now and then and delivery resumes when it answers. Once it has been down this long, waiting items leave at once as failed ("parked"), replayable with Redeliver. 0 = off: every item uses its own attempts.',
			},
			{
				displayName: 'Require HTTPS',
				name: 'requireHttps',
				type: 'boolean',
				default: false,
				description: 'Whether to refuse http:// targets (also after redirects)',
			},
			{
				displayName: 'Retry Base Delay (Ms)',
				name: 'retryDelay',
				displayOptions: { hide: { '/operation': ['redeliver'] } },
				type: 'number',
				typeOptions: { minValue: 0 },
				default: DEFAULT_RETRY_DELAY_MS,
				description:
					'Exponential backoff with full jitter: the wait after attempt n is random between 0 and this × 2^(n-1), at most 30 s',
			},
			{
				displayName: 'Schedule',
				name: 'schedule',
				displayOptions: { show: { '/operation': ['redeliver'] } },
				type: 'string',
				default: DEFAULT_SCHEDULE,
				description:
					'The waits before the 1st, 2nd, … redelivery, separated by commas (s, m, h, d). A record from Send is due the first wait after it failed; after the last redelivery it is dead.',
			},
			{
				displayName: 'Timeout (Ms)',
				name: 'timeout',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: DEFAULT_TIMEOUT_MS,
				description: 'How long to wait for each response before the attempt counts as failed (and is retried)',
			},
		],
	},
];
