// The drizzle schema: one file per capability under tables/, re-exported here for drizzle-kit and the client.

export * from './tables/agents.ts';
export * from './tables/guards.ts';
export * from './tables/jobs.ts';
export * from './tables/rag.ts';
export * from './tables/usage.ts';
export * from './tables/users.ts';
