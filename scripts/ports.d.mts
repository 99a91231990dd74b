/** Types of scripts/ports.mjs for the TypeScript tests. */
export declare function freePort(): Promise<number>;
export declare function portFree(port: number): Promise<boolean>;
