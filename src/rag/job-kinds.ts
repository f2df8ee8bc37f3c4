/** The RAG capability's background job kinds (handlers in src/rag/job-handlers.ts). */
export const JOB_INGEST = 'rag.ingest';
export const JOB_ACTIVATE_VERSION = 'rag.activate-version';
export const JOB_INDEX_VECTORS = 'rag.index-vectors';
export const JOB_PURGE_VERSION = 'rag.purge-version';
