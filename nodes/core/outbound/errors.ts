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

/**
 * A configuration the action node cannot run with: the message is complete (it names the parameter and holds no
 * secret); the node shows it as a NodeOperationError, for the item when `itemIndex` is set.
 */
export class SetupError extends Error {
	constructor(
		message: string,
		readonly details: { itemIndex?: number; description?: string } = {},
	) {
		super(message);
	}
}
