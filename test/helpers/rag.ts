import { readFileSync } from 'node:fs';
import type { z } from '@hono/zod-openapi';
import { jobHandlers } from '../../src/job-handlers.ts';
import type { LlmClient } from '../../src/llm/llm-client.ts';
import { hashEmbed } from '../../src/llm/local/hash-embedder.ts';
import { createLocalClient } from '../../src/llm/local/local-client.ts';
import { drainJobs } from '../../src/queue/drain-jobs.ts';
import {
  type documentSchema,
  getDocumentRoute,
  uploadDocumentRoute,
} from '../../src/rag/documents/documents.routes.ts';
import { postJson, readBody } from './json-request.ts';
import type { TestApp } from './test-app.ts';

export const PG_DOC_FIXTURES = [
  'indexes-partial.html',
  'indexes-unique.html',
  'tutorial-concepts.html',
  'datatype-boolean.html',
  'sql-truncate.html',
] as const;

/** A page of the PostgreSQL manual from test/fixtures/pg-docs. */
export const pgDoc = (name: string) =>
  readFileSync(new URL(`../fixtures/pg-docs/${name}`, import.meta.url), 'utf8');

/** Runs every queued job now, retries and deferrals included. */
export const drain = (t: TestApp) => drainJobs(t.deps, jobHandlers, { horizonMs: 24 * 3_600_000 });

type PgDocName = (typeof PG_DOC_FIXTURES)[number];

/**
 * Uploads every PG_DOC_FIXTURES page for `sub`, each with metadata `{ page: <file name> }`, and
 * ingests them. Returns each page's document as the upload answered it (its id and title).
 */
export async function ingestPgDocs(
  t: TestApp,
  sub: string,
): Promise<Map<PgDocName, z.output<typeof documentSchema>>> {
  const documents = new Map<PgDocName, z.output<typeof documentSchema>>();
  for (const name of PG_DOC_FIXTURES) {
    const res = await t.as(
      sub,
      '/documents',
      filePost(name, pgDoc(name), { metadata: JSON.stringify({ page: name }) }),
    );
    documents.set(name, (await readBody(res, uploadDocumentRoute, 202)).document);
  }
  await drain(t);
  return documents;
}

/** A multipart upload of one file, with optional extra form fields. */
export function filePost(
  name: string,
  content: string | Uint8Array,
  fields: Record<string, string> = {},
): RequestInit {
  const form = new FormData();
  form.set('file', new File([content], name));
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  return { method: 'POST', body: form };
}

export const uploadText = (t: TestApp, sub: string, body: Record<string, unknown>) =>
  t.as(sub, '/documents', postJson({ mime_type: 'text/markdown', ...body }));

/** uploadText, answered 202 (stored, ingestion queued): the upload result. */
export const queueText = async (t: TestApp, sub: string, body: Record<string, unknown>) =>
  readBody(await uploadText(t, sub, body), uploadDocumentRoute, 202);

/** GET /documents/{id} as `sub`, answered 200: the document. */
export const getDocument = async (t: TestApp, sub: string, id: string) =>
  readBody(await t.as(sub, `/documents/${id}`), getDocumentRoute, 200);

/** The local provider whose embeddings fail `failures` times before working (an upstream outage). */
export function flakyEmbeddings(failures: number): LlmClient & { calls: () => number } {
  const local = createLocalClient({ embeddingDimensions: 384 });
  let calls = 0;
  return {
    ...local,
    calls: () => calls,
    async embed(request) {
      calls++;
      if (calls <= failures) throw new Error(`embedding upstream unavailable (call ${calls})`);
      return local.embed(request);
    },
  };
}

export const SMALL_EMBEDDING_MODEL = 'local-hash-embedding-256';

/** The local provider with a second, 256-dimensional embedding model, for index versions of another size. */
export function twoModelLlm(): LlmClient {
  const local = createLocalClient({ embeddingDimensions: 384 });
  return {
    ...local,
    models: () => [...local.models(), { id: SMALL_EMBEDDING_MODEL, kind: 'embedding' }],
    async embed(request) {
      if (request.model !== SMALL_EMBEDDING_MODEL) return local.embed(request);
      return {
        model: SMALL_EMBEDDING_MODEL,
        vectors: request.texts.map((t) => hashEmbed(t, 256)),
        usage: null,
      };
    },
  };
}
