// Types for the parts of n8n's package scanner (@n8n/scan-community-package, plain .mjs) that the tests use.
declare module '@n8n/scan-community-package/scanner/scanner.mjs' {
	export interface AnalysisResult {
		passed: boolean;
		message?: string;
		details?: string;
	}
	/** Lints an unpacked package directory with the scanner's own rule set and inline configuration off. */
	export function analyzePackage(packageDir: string, filePatterns?: string[]): Promise<AnalysisResult>;
	/** The file patterns the scanner lints in the provenance-attested source checkout. */
	export const SOURCE_FILE_PATTERNS: string[];
}

// `tmp` (the scanner's temp-folder library; a devDependency here so the same copy is used): only what the test calls.
declare module 'tmp' {
	const tmp: { setGracefulCleanup(): void };
	export default tmp;
}
