/** An error in the node's configuration, naming the node parameter at fault. No n8n imports. */
export class OutboundParameterError extends Error {
	constructor(
		message: string,
		/** The node parameter at fault: url, fields, staticValues, emailParameterName, ... */
		readonly parameter: string,
	) {
		super(message);
	}
}
