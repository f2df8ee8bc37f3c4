import { beforeAll, describe, expect, it } from 'vitest';
import type { LlmError } from '../../../src/llm/llm-error.ts';
import { postJson } from '../../helpers/json-request.ts';
import { useTestApp } from '../../helpers/test-app.ts';

const meta = (requestId: string) => ({ requestId, userId: `user-${requestId}`, route: '/test' });

// Embeddings (RAG ingestion and search, /v1/embeddings) go through the same timeout, retries and
// breaker as chat: the matrix row "embeddings" in docs/reliability.md.
describe('embeddings through the resilience wrapper', () => {
  // A cool-down long enough that a loaded machine cannot outlast it between two requests.
  const t = useTestApp('pglite', { openai: true, env: { LLM_BREAKER_COOLDOWN_MS: '2000' } });
  // The openai SDK behind embeddings loads on the first call (it stays out of start-up): load it
  // here, so the short per-attempt timeout of these tests times the attempts, not the import.
  beforeAll(async () => {
    t.openai.script({ kind: 'embeddings' });
    await t.deps.llm.embed({ texts: ['warm-up'], meta: meta('emb-warm-up') });
  });

  it('times out a hanging attempt, retries a 500, then succeeds', async () => {
    t.openai.script({ kind: 'hang' }, { kind: 'status', status: 500 }, { kind: 'embeddings' });
    const result = await t.deps.llm.embed({ texts: ['alpha'], meta: meta('emb-retry') });
    expect(result.vectors).toHaveLength(1);
    expect(result.accounting.attempts).toBe(3);
    const outcomes = t.logs
      .filter((l) => l.request_id === 'emb-retry' && l.msg === 'model call')
      .map((l) => l.outcome);
    // The first attempt was cut by the per-attempt timeout (its log line records the abort it caused).
    expect(outcomes).toHaveLength(3);
    expect(outcomes.slice(1)).toEqual(['upstream_error', 'ok']);
  });

  it('opens the breaker of the embedding model after repeated outages: 503 with Retry-After on /v1', async () => {
    const model = 'fragile-embedder';
    t.openai.script(...Array.from({ length: 3 }, () => ({ kind: 'status' as const, status: 503 })));
    const failed = await t.deps.llm
      .embed({ model, texts: ['x'], meta: meta('emb-down') })
      .catch((e: unknown) => e as LlmError);
    expect(failed).toMatchObject({ kind: 'upstream_error', status: 502 });
    const res = await t.as('emb-breaker', '/v1/embeddings', postJson({ model, input: 'x' }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('circuit_open');
    // After the cool-down a trial call closes it.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const recovered = await t.as('emb-breaker', '/v1/embeddings', postJson({ model, input: 'x' }));
    expect(recovered.status).toBe(200);
  });
});
