// Types of check-node.mjs, for the TypeScript that imports it (the test runner, benchmarks, tests).
export declare function stripsTypes(version?: string): boolean;
export declare function nodeFlags(version?: string): string[];
