import type { ICredentialType, INodeProperties, Icon } from 'n8n-workflow';

/**
 * One credential for both directions:
 * - the KlickTipp Outbound Trigger checks incoming requests against it (API key, Basic Auth or signature);
 * - the KlickTipp Outbound node uses it to authenticate and sign what it sends.
 * Which of the fields is used is chosen by each node's "Authentication" parameter.
 */
export class KlickTippOutboundApi implements ICredentialType {
	name = 'klickTippOutboundApi';

	// The display name is fixed by the product spec ("KlickTipp Outbound API"); it covers API key, Basic Auth and signatures.
	displayName = 'KlickTipp Outbound API';

	icon: Icon = { light: 'file:../icons/klicktipp.svg', dark: 'file:../icons/klicktipp.dark.svg' };

	documentationUrl = 'https://github.com/klicktipp-outbound/n8n-nodes-klicktipp-outbound/blob/main/docs/outbound.md#authentication-credential-klicktipp-outbound-api';

	properties: INodeProperties[] = [
		{
			displayName:
				'Fill in only what the chosen authentication needs: API key (name, location and value), Basic Auth (username and password), a bearer token, or a signing secret.',
			name: 'notice',
			type: 'notice',
			default: '',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'A long random token. In KlickTipp, add it to the outbound as a static value (or in the URL / a header, see "API Key Location").',
		},
		// Holds the *name* of the parameter, not a secret.
		{
			displayName: 'API Key Parameter Name',
			name: 'keyName',
			type: 'string',
			default: 'apiKey',
			description:
				'The parameter name (static value name, query parameter or header) that carries the API key, e.g. apiKey or Authorization',
		},
		// Holds *where* the key travels (body, query, header), not a secret.
		{
			displayName: 'API Key Location',
			name: 'keyLocation',
			type: 'options',
			default: 'body',
			options: [
				{
					name: 'Static Value (Request Body or GET Query)',
					value: 'body',
					description: 'KlickTipp sends it as a static value: in the form/JSON body for POST, in the query for GET',
				},
				{ name: 'URL Query Parameter', value: 'query', description: 'Appended to the URL as ?name=key' },
				{ name: 'HTTP Header', value: 'header', description: 'Sent as an HTTP header' },
			],
		},
		{
			displayName: 'Username',
			name: 'username',
			type: 'string',
			default: '',
			description: 'Basic Auth username',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description: 'Basic Auth password',
		},
		{
			displayName: 'Bearer Token',
			name: 'bearerToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'For Authentication "Bearer Token": sent (and checked by the trigger) as the header Authorization: Bearer <token>. Masked in every record.',
		},
		{
			displayName: 'Signing Secret',
			name: 'signingSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'whsec_...',
			description:
				'Standard Webhooks signing secret: whsec_ followed by base64 (at least 16 bytes), or any plain string. Used for the webhook-signature header.',
		},
	];
}
