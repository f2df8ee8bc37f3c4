import { readFileSync } from 'node:fs';
import { jobHandlers } from '../../src/job-handlers.ts';
import type { LlmClient } from '../../src/llm/llm-client.ts';
import { hashEmbed } from '../../src/llm/local/hash-embedder.ts';
import { createLocalClient } from '../../src/llm/local/local-client.ts';
import { drainJobs } from '../../src/queue/drain-jobs.ts';
import { postJson } from './json-request.ts';
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
