// The n8n data tables an example workflow uses, read from the example itself: every Data Table node that names its
// table ("By Name") contributes the columns of its column mapping. `ensureDataTables()` creates the missing tables
// in the owner's personal project through n8n's REST API (`/rest/projects/<id>/data-tables`, the same calls the
// editor's Data tables tab makes; n8n 1.113+ and 2.x, no licence needed) and `pointDataTables()` points the nodes at
// them by ID, as if picked "From List" in the editor. Used by scripts/start.mjs (`npm start`) and the e2e tests.

export const DATA_TABLE_NODE_TYPE = 'n8n-nodes-base.dataTable';

/** The Data Table node's column types (resource mapper) → the data table's column types. */
const COLUMN_TYPES = { string: 'string', number: 'number', boolean: 'boolean', dateTime: 'date' };

/**
 * Tables by name → their columns ({ name, type }), from the workflow's Data Table nodes that reference a table by
 * name. A column's type comes from the first node that maps it.
 */
export function dataTablesOf(workflow) {
	const tables = new Map();
	for (const node of workflow.nodes ?? []) {
		const ref = node.type === DATA_TABLE_NODE_TYPE ? node.parameters?.dataTableId : undefined;
		if (!ref || ref.mode !== 'name' || typeof ref.value !== 'string' || !ref.value) continue;
		const columns = tables.get(ref.value) ?? [];
		for (const field of node.parameters.columns?.schema ?? []) {
			if (columns.some((c) => c.name === field.id)) continue;
			columns.push({ name: field.id, type: COLUMN_TYPES[field.type] ?? 'string' });
		}
		tables.set(ref.value, columns);
	}
	return tables;
}

/**
 * Makes sure each table exists in the personal project of the logged-in user; returns name → { id, projectId }.
 * `call(method, path, body)` is a logged-in REST client that returns the parsed JSON answer. An existing table of
 * the same name is used as it is.
 */
export async function ensureDataTables(call, tables) {
	const out = new Map();
	if (tables.size === 0) return out;
	const projectId = (await call('GET', '/rest/projects/personal')).data.id;
	for (const [name, columns] of tables) {
		const filter = encodeURIComponent(JSON.stringify({ name }));
		const list = (await call('GET', `/rest/projects/${projectId}/data-tables?filter=${filter}&take=50`)).data;
		let table = (list?.data ?? []).find((t) => t.name === name);
		table ??= (await call('POST', `/rest/projects/${projectId}/data-tables`, { name, columns })).data;
		out.set(name, { id: String(table.id), projectId });
	}
	return out;
}

/** The workflow with every Data Table node that references one of `tables` by name pointed at it by ID. */
export function pointDataTables(workflow, tables) {
	const nodes = (workflow.nodes ?? []).map((node) => {
		const ref = node.type === DATA_TABLE_NODE_TYPE ? node.parameters?.dataTableId : undefined;
		const table = ref?.mode === 'name' ? tables.get(ref.value) : undefined;
		if (!table) return node;
		const dataTableId = {
			__rl: true,
			mode: 'list',
			value: table.id,
			cachedResultName: ref.value,
			cachedResultUrl: `/projects/${table.projectId}/datatables/${table.id}`,
		};
		return { ...node, parameters: { ...node.parameters, dataTableId } };
	});
	return { ...workflow, nodes };
}
