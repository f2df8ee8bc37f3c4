import { readFileSync } from 'node:fs';
import { jobHandlers } from '../../src/jobs.ts';
import { drainJobs } from '../../src/queue/drain-jobs.ts';
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

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

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
  t.as(sub, '/documents', jsonPost({ mime_type: 'text/markdown', ...body }));
