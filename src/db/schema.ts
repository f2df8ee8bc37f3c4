// The drizzle schema: one file per capability under tables/, re-exported here for drizzle-kit and the client.

export * from './tables/admin.ts';
export * from './tables/agents.ts';
export * from './tables/api-keys.ts';
export * from './tables/billing.ts';
export * from './tables/guards.ts';
export * from './tables/jobs.ts';
export * from './tables/quotas.ts';
export * from './tables/rag.ts';
export * from './tables/usage.ts';
export * from './tables/users.ts';
