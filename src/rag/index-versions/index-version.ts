import type { indexVersions } from '../../db/schema.ts';

export type IndexVersion = typeof indexVersions.$inferSelect;

/** Job kinds of the RAG capability (see src/rag/jobs.ts). */
export const JOB_INGEST = 'rag.ingest';
export const JOB_ACTIVATE_VERSION = 'rag.activate-version';
export const JOB_INDEX_VECTORS = 'rag.index-vectors';
export const JOB_PURGE_VERSION = 'rag.purge-version';
