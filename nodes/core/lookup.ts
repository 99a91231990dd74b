/**
 * Case-insensitive lookup by name, for headers and received parameters alike: the exact key first, else the first
 * key equal to `name` ignoring case. Own properties only. No n8n imports.
 */
export function valueByName(record: Record<string, unknown> | undefined, name: string): unknown {
	if (!record) return undefined;
	if (Object.prototype.hasOwnProperty.call(record, name)) return record[name];
	const lower = name.toLowerCase();
	for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
	return undefined;
}

/** A header's value (the first one when it was sent more than once), looked up ignoring case. */
export function headerValue(
	headers: Record<string, string | string[] | undefined> | undefined,
	name: string,
): string | undefined {
	const value = valueByName(headers, name) as string | string[] | undefined;
	return Array.isArray(value) ? value[0] : value;
}
