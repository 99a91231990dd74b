/** Types of scripts/data-tables.mjs for the TypeScript tests (the script itself is plain JavaScript). */
export interface DataTableColumn {
	name: string;
	type: 'string' | 'number' | 'boolean' | 'date';
}
export interface DataTableRef {
	id: string;
	projectId: string;
}
interface WorkflowLike {
	nodes?: Array<{ type: string; parameters?: Record<string, any> }>;
}
export declare const DATA_TABLE_NODE_TYPE: string;
export declare function dataTablesOf(workflow: WorkflowLike): Map<string, DataTableColumn[]>;
export declare function ensureDataTables(
	call: (method: string, path: string, body?: unknown) => Promise<any>,
	tables: Map<string, DataTableColumn[]>,
): Promise<Map<string, DataTableRef>>;
export declare function pointDataTables<T extends WorkflowLike>(workflow: T, tables: Map<string, DataTableRef>): T;
