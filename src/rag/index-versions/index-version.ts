import type { indexVersions } from '../../db/schema.ts';

export type IndexVersion = typeof indexVersions.$inferSelect;
