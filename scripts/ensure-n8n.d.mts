/** Types of scripts/ensure-n8n.mjs for the TypeScript tests and benchmarks (the script itself is plain JavaScript). */
export declare const DEFAULT_N8N_VERSION: string;
export declare const INSTALL_MINUTES: string;
export declare function cacheRoot(): string;
export declare function pinnedVersions(): string[];
export declare function runtimeDir(version: string): string;
export declare function n8nBin(version: string): string;
export declare function requiredNode(version: string): string | undefined;
export declare function nodeDir(nodeVersion: string): string;
export declare function nodeBinFor(nodeVersion: string): string;
export declare function ensureNode(nodeVersion: string): Promise<string>;
export declare function ensureN8n(version?: string): Promise<{
	version: string;
	dir: string;
	bin: string;
	node: string;
	nodeVersion: string;
	installed: boolean;
	seconds: number;
}>;
export declare function installRecord(version: string): { version?: string; fingerprint?: string; nodeBin?: string; node?: string } | undefined;
export declare function installLogPaths(version: string): { during: string; after: string };
