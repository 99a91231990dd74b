/**
 * Bounded-concurrency map that keeps the input order in its result. At most `limit` calls of `fn` run at the
 * same time; the result at index i is fn(items[i], i). If `fn` rejects, the returned promise rejects after the
 * running calls have settled (no call is started after the first rejection). No n8n imports.
 */
export async function mapConcurrent<T, R>(
	items: ReadonlyArray<T>,
	limit: number,
	fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
	const results = new Array<R>(items.length);
	const workers = Math.max(1, Math.min(Math.floor(limit) || 1, items.length));
	let next = 0;
	let failed = false;
	let firstError: unknown;
	const run = async (): Promise<void> => {
		while (!failed && next < items.length) {
			const index = next++;
			try {
				results[index] = await fn(items[index], index);
			} catch (error) {
				if (!failed) firstError = error;
				failed = true;
			}
		}
	};
	await Promise.all(Array.from({ length: workers }, run));
	if (failed) throw firstError;
	return results;
}
