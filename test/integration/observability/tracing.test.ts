import { afterAll, describe, expect, it } from 'vitest';
import { createRunRoute } from '../../../src/agents/runs/runs.routes.ts';
import { analyzeTextRoute } from '../../../src/gateway/analyze/analyze.routes.ts';
import { chatRoute } from '../../../src/rag/chat/chat.routes.ts';
import { uploadDocumentRoute } from '../../../src/rag/documents/documents.routes.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { type CollectedSpan, startOtlpCollector } from '../../helpers/otlp-collector.ts';
import { drain } from '../../helpers/rag.ts';
import { createTestApp, useTestApp, useTestDatabase } from '../../helpers/test-app.ts';

const collector = await startOtlpCollector();
afterAll(() => collector.close());

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** The trace id and span id a response's traceparent names (the server span's). */
function traceOf(res: Response): { traceId: string; spanId: string; flags: string } {
  const header = res.headers.get('traceparent') ?? '';
  const match = TRACEPARENT.exec(header);
  if (!match) throw new Error(`no valid traceparent on the response: "${header}"`);
  return { traceId: match[1]!, spanId: match[2]!, flags: match[3]! };
}

/** The names of a span's ancestors, nearest first, up to the trace's root. */
function ancestors(spans: CollectedSpan[], span: CollectedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names: string[] = [];
  for (let p = byId.get(span.parentSpanId ?? ''); p; p = byId.get(p.parentSpanId ?? '')) names.push(p.name);
  return names;
}

const named = (spans: CollectedSpan[], name: string) => spans.filter((s) => s.name === name);

// The local provider's embedding model.
const EMBEDDINGS = 'embeddings local-hash-embedding';

function one(spans: CollectedSpan[], name: string): CollectedSpan {
  const found = named(spans, name);
  if (found.length !== 1)
    throw new Error(`expected one "${name}" span, got ${found.length}: ${spans.map((s) => s.name)}`);
  return found[0]!;
}

const childrenOf = (spans: CollectedSpan[], parent: CollectedSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanId).map((s) => s.name);

describe('tracing on Node, exported over OTLP/JSON', () => {
  const t = useTestApp('pglite', {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=k%20ey',
      // The index rebuild's purge job runs in the same drain.
      RAG_RETIRED_PURGE_DELAY_S: '0',
    },
  });
  const spansOf = async (traceId: string) => {
    await t.deps.telemetry.flush();
    return collector.trace(traceId);
  };
  const upload = async (sub: string, content: string) => {
    const res = await t.as(sub, '/documents', postJson({ title: 'WAL', content }));
    return { res, body: await readBody(res, uploadDocumentRoute, 202) };
  };

  it('POST /analyze: the server span, its guard decisions and the model call (GenAI conventions)', async () => {
    const res = await t.as(
      'trace-analyze',
      '/analyze',
      postJson({ text: 'Acme shipped a fast search in Berlin.' }, { 'Idempotency-Key': 'trace-analyze-1' }),
    );
    await readBody(res, analyzeTextRoute, 200);
    const { traceId, spanId } = traceOf(res);
    const spans = await spansOf(traceId);

    const server = one(spans, 'POST /analyze');
    expect(server).toMatchObject({ spanId, parentSpanId: undefined, kind: 2, service: 'cairn' });
    // A subject seen for the first time is stored, in its own span.
    expect(one(spans, 'auth.principal.upsert').parentSpanId).toBe(spanId);
    expect(server.attributes).toMatchObject({
      'http.route': '/analyze',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(childrenOf(spans, server)).toEqual(
      expect.arrayContaining(['guard.rate_limit', 'guard.idempotency', 'chat local']),
    );
    expect(one(spans, 'guard.rate_limit').attributes).toMatchObject({
      'cairn.guard': 'rate-limit',
      'cairn.guard.decision': 'allowed',
    });
    expect(one(spans, 'guard.idempotency').attributes['cairn.guard.decision']).toBe('run');
    const model = one(spans, 'chat local');
    expect(model.kind).toBe(3);
    expect(model.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'local',
      'gen_ai.provider.name': 'local',
      'gen_ai.response.model': 'local',
      'cairn.cost_usd': 0,
    });
    expect(model.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(model.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    // Exported as OTLP/JSON with OTEL_EXPORTER_OTLP_HEADERS decoded.
    expect(collector.requests.at(-1)).toMatchObject({
      contentType: 'application/json',
      headers: { 'x-api-key': 'k ey' },
    });
  });

  it('an upload and its ingestion job share one trace: the job span is a child of the upload span', async () => {
    const { res, body } = await upload(
      'trace-ingest',
      'Write-ahead logging records every change before it reaches the data files.',
    );
    const { traceId, spanId } = traceOf(res);
    await drain(t);
    const spans = await spansOf(traceId);

    const server = one(spans, 'POST /documents');
    expect(server.spanId).toBe(spanId);
    expect(childrenOf(spans, server)).toEqual(expect.arrayContaining(['rag.documents.store']));
    const job = one(spans, 'job rag.ingest');
    expect(job).toMatchObject({ parentSpanId: spanId, kind: 5 });
    expect(job.attributes).toMatchObject({
      'cairn.job.id': body.job_id,
      'cairn.job.kind': 'rag.ingest',
      'cairn.job.outcome': 'done',
    });
    const batch = one(spans, 'rag.ingest.embed_batch');
    expect(batch.attributes).toMatchObject({ 'cairn.batch.index': 0, 'cairn.batch.size': 1 });
    const embedding = one(spans, EMBEDDINGS);
    expect(embedding.parentSpanId).toBe(batch.spanId);
    expect(embedding.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'cairn.embedding.inputs': 1,
    });
    expect(embedding.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(ancestors(spans, one(spans, 'rag.ingest.store_chunks'))).toEqual([
      'job rag.ingest',
      'POST /documents',
    ]);
    expect(one(spans, 'rag.ingest.store_chunks').attributes['db.system.name']).toBe('postgresql');

    // The job's log lines name the job and the request that stored it, in the job's span.
    const requestId = res.headers.get('x-request-id');
    const jobLine = t.logs.find((l) => l.msg === 'job' && l.job_id === body.job_id);
    expect(jobLine).toMatchObject({ request_id: requestId, trace_id: traceId, span_id: job.spanId });
  });

  it('POST /chat: search queries, the embedding and the model call, the conversation write', async () => {
    await upload('trace-chat', 'Checkpoints bound recovery time after a crash.');
    await drain(t);
    const res = await t.as('trace-chat', '/chat', postJson({ message: 'What bounds recovery time?' }));
    await readBody(res, chatRoute, 200);
    const spans = await spansOf(traceOf(res).traceId);

    const search = one(spans, 'rag.search');
    expect(ancestors(spans, search)).toEqual(['POST /chat']);
    expect(search.attributes).toMatchObject({ 'cairn.search.mode': 'hybrid' });
    expect(childrenOf(spans, search)).toEqual(expect.arrayContaining(['rag.search.hybrid', EMBEDDINGS]));
    expect(ancestors(spans, one(spans, 'chat local'))).toEqual(['POST /chat']);
    expect(ancestors(spans, one(spans, 'rag.conversations.record_exchange'))).toEqual(['POST /chat']);
    // Names only: no query text or parameters in any span.
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain('recovery');
  });

  it('an agent run: a span per step, its model call and tool calls under it', async () => {
    const res = await t.as('trace-agent', '/agent/runs', postJson({ input: 'What is (17+4)*3?' }));
    const run = await readBody(res, createRunRoute, 200);
    expect(run.stop_reason).toBe('completed');
    const spans = await spansOf(traceOf(res).traceId);

    const agent = one(spans, 'invoke_agent assistant');
    expect(ancestors(spans, agent)).toEqual(['POST /agent/runs']);
    expect(agent.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.id': run.run_id,
      'cairn.stop_reason': 'completed',
    });
    const steps = named(spans, 'agent.step');
    expect(steps.map((s) => s.attributes['cairn.agent.step']).sort()).toEqual([1, 2]);
    for (const step of steps) {
      expect(step.parentSpanId).toBe(agent.spanId);
      expect(childrenOf(spans, step)).toContain('chat local');
    }
    const tool = one(spans, 'execute_tool calculator');
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'calculator',
      'cairn.tool.status': 'ok',
    });
    expect(ancestors(spans, tool).slice(0, 2)).toEqual(['agent.step', 'invoke_agent assistant']);
    expect(named(spans, 'agents.run.record_step').length).toBeGreaterThan(0);
    expect(ancestors(spans, one(spans, 'agents.run.finish'))[0]).toBe('agent.step');
  });

  it('an index rebuild: the activation and purge jobs join the admin request trace, each query in a span', async () => {
    await upload('trace-rebuild', 'Vacuum reclaims storage occupied by dead tuples.');
    await drain(t);
    const res = await t.as('trace-admin', '/admin/index/versions', {
      ...postJson({ chunk_size: 64, chunk_overlap: 8 }),
      role: 'admin',
    });
    expect(res.status).toBe(202);
    await drain(t);
    const spans = await spansOf(traceOf(res).traceId);

    const activation = named(spans, 'job rag.activate-version').at(-1)!;
    expect(ancestors(spans, activation).at(-1)).toBe('POST /admin/index/versions');
    expect(childrenOf(spans, activation)).toEqual(
      expect.arrayContaining([
        'rag.index_versions.get',
        'rag.index_versions.ingest_counts',
        'rag.index_versions.switch',
      ]),
    );
    const purge = one(spans, 'job rag.purge-version');
    expect(childrenOf(spans, purge)).toEqual(
      expect.arrayContaining([
        'rag.index_versions.get',
        'rag.index_versions.purge_chunks',
        'rag.index_versions.purge',
      ]),
    );
  });

  it('honours an incoming traceparent: same trace, the caller span as parent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await t.as('trace-parent', '/me', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(res.status).toBe(200);
    const answered = traceOf(res);
    expect(answered.traceId).toBe(traceId);
    expect(answered.spanId).not.toBe('00f067aa0ba902b7');
    const server = one(await spansOf(traceId), 'GET /me');
    expect(server).toMatchObject({ spanId: answered.spanId, parentSpanId: '00f067aa0ba902b7' });
  });

  it('a malformed traceparent starts a new trace', async () => {
    const res = await t.request('/health', { headers: { traceparent: '00-zz-00f067aa0ba902b7-01' } });
    const { traceId } = traceOf(res);
    expect(one(await spansOf(traceId), 'GET /health').parentSpanId).toBeUndefined();
  });

  it('every log line of a request carries its request, user, trace and span ids, guard rejections included', async () => {
    const sub = 'trace-logs';
    const send = (text: string) =>
      t.as(
        sub,
        '/analyze',
        postJson({ text }, { 'Idempotency-Key': 'trace-logs-1', 'X-Request-Id': `logs-${text}` }),
      );
    expect((await send('first')).status).toBe(200);
    const mismatch = await send('second');
    expect(mismatch.status).toBe(422);
    const { traceId, spanId } = traceOf(mismatch);

    const spans = await spansOf(traceId);
    const lines = t.logs.filter((l) => l.request_id === 'logs-second');
    expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['request rejected', 'request']));
    for (const line of lines) expect(line).toMatchObject({ trace_id: traceId, user_id: sub });
    // Each line is in the span running when it was written: the guard's, then the server's.
    expect(lines.find((l) => l.msg === 'request rejected')).toMatchObject({
      guard: 'idempotency',
      span_id: one(spans, 'guard.idempotency').spanId,
    });
    expect(lines.find((l) => l.msg === 'request')?.span_id).toBe(spanId);
    const first = t.logs.filter((l) => l.request_id === 'logs-first');
    const modelLine = first.find((l) => l.msg === 'model call');
    const modelSpan = one(await spansOf(String(modelLine?.trace_id)), 'chat local');
    // Inside the model call, lines carry the model span's id.
    expect(modelLine).toMatchObject({ user_id: sub, span_id: modelSpan.spanId });
  });
});

describe('tracing without an OTLP endpoint', () => {
  const database = useTestDatabase('pglite');

  it('records and sends nothing, yet answers a traceparent and correlates log lines', async () => {
    const t = createTestApp(database);
    expect(t.deps.telemetry.recording).toBe(false);
    const res = await t.as(
      'trace-off',
      '/analyze',
      postJson({ text: 'Quiet.' }, { 'X-Request-Id': 'off-1' }),
    );
    expect(res.status).toBe(200);
    const { traceId, spanId, flags } = traceOf(res);
    expect(flags).toBe('00');
    await t.deps.telemetry.flush();
    expect(collector.trace(traceId)).toEqual([]);
    const lines = t.logs.filter((l) => l.request_id === 'off-1');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatchObject({ trace_id: traceId, user_id: 'trace-off' });
    expect(lines.find((l) => l.msg === 'request')?.span_id).toBe(spanId);
  });

  it('keeps the caller trace id and sampled flag in the answer', async () => {
    const t = createTestApp(database);
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await t.request('/health', { headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } });
    expect(traceOf(res)).toMatchObject({ traceId, flags: '01' });
  });
});
