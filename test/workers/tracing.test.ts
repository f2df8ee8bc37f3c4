import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createRunRoute } from '../../src/agents/runs/runs.routes.ts';
import { analyzeTextRoute } from '../../src/gateway/analyze/analyze.routes.ts';
import { chatRoute } from '../../src/rag/chat/chat.routes.ts';
import { getDocumentRoute, uploadDocumentRoute } from '../../src/rag/documents/documents.routes.ts';
import { readBody } from '../helpers/json-request.ts';
import type { CollectedSpan } from '../helpers/otlp-collector.ts';
import { as, call, postJson } from './worker-client.ts';

// The collector of global-setup.ts: the Worker posts to <url>/v1/traces, the test reads <url>/spans.
const collector = String(
  (env as unknown as Record<string, unknown>).OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
).replace(/\/v1\/traces$/, '');

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

function traceOf(res: Response): { traceId: string; spanId: string } {
  const match = TRACEPARENT.exec(res.headers.get('traceparent') ?? '');
  if (!match) throw new Error(`no valid traceparent: "${res.headers.get('traceparent')}"`);
  return { traceId: match[1]!, spanId: match[2]! };
}

/** The spans the collector holds for a trace, once `ready` says they are all there (the queue runs apart). */
async function spansOf(traceId: string, ready = (spans: CollectedSpan[]) => spans.length > 0) {
  let spans: CollectedSpan[] = [];
  for (let i = 0; i < 100; i++) {
    spans = (await (await fetch(`${collector}/spans?trace_id=${traceId}`)).json()) as CollectedSpan[];
    if (ready(spans)) return spans;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`trace ${traceId} never had the spans expected: ${spans.map((s) => s.name)}`);
}

const named = (spans: CollectedSpan[], name: string) => spans.filter((s) => s.name === name);
function one(spans: CollectedSpan[], name: string): CollectedSpan {
  const found = named(spans, name);
  if (found.length !== 1)
    throw new Error(`expected one "${name}", got ${found.length}: ${spans.map((s) => s.name)}`);
  return found[0]!;
}
function ancestors(spans: CollectedSpan[], span: CollectedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const names: string[] = [];
  for (let p = byId.get(span.parentSpanId ?? ''); p; p = byId.get(p.parentSpanId ?? '')) names.push(p.name);
  return names;
}

describe('tracing inside workerd, exported from waitUntil', () => {
  it('POST /analyze: the server span with its guard and model spans', async () => {
    const res = await as(
      'wt-analyze',
      '/analyze',
      postJson({ text: 'Acme shipped a fast search in Berlin.' }),
    );
    await readBody(res, analyzeTextRoute, 200);
    const { traceId, spanId } = traceOf(res);
    const spans = await spansOf(traceId);
    const server = one(spans, 'POST /analyze');
    expect(server).toMatchObject({ spanId, kind: 2, service: 'cairn' });
    expect(server.parentSpanId).toBeUndefined();
    expect(server.attributes).toMatchObject({ 'http.route': '/analyze', 'http.response.status_code': 200 });
    expect(ancestors(spans, one(spans, 'guard.rate_limit'))).toEqual(['POST /analyze']);
    const model = one(spans, 'chat local');
    expect(ancestors(spans, model)).toEqual(['POST /analyze']);
    expect(model.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'local',
    });
    expect(model.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
  });

  it('an upload and its ingestion through the Cloudflare Queue share one trace', async () => {
    const res = await as(
      'wt-ingest',
      '/documents',
      postJson({ title: 'WAL', content: 'Write-ahead logging records every change before the data files.' }),
    );
    const { document_id, job_id } = await readBody(res, uploadDocumentRoute, 202);
    const { traceId, spanId } = traceOf(res);
    const spans = await spansOf(traceId, (s) =>
      s.some((x) => x.name === 'job rag.ingest' && x.attributes['cairn.job.outcome'] === 'done'),
    );
    const job = named(spans, 'job rag.ingest').find((s) => s.attributes['cairn.job.outcome'] === 'done')!;
    expect(job).toMatchObject({ parentSpanId: spanId, kind: 5 });
    expect(job.attributes['cairn.job.id']).toBe(job_id);
    const batch = named(spans, 'rag.ingest.embed_batch').find((s) => s.parentSpanId === job.spanId);
    expect(batch).toBeDefined();
    expect(spans.some((s) => s.name.startsWith('embeddings ') && s.parentSpanId === batch!.spanId)).toBe(
      true,
    );
    expect(
      named(spans, 'rag.ingest.store_chunks').some((s) => ancestors(spans, s)[0] === 'job rag.ingest'),
    ).toBe(true);

    for (let i = 0; i < 100; i++) {
      const doc = await readBody(await as('wt-ingest', `/documents/${document_id}`), getDocumentRoute, 200);
      if (doc.status === 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const chat = await as(
      'wt-ingest',
      '/chat',
      postJson({ message: 'What does write-ahead logging record?' }),
    );
    await readBody(chat, chatRoute, 200);
    const chatSpans = await spansOf(traceOf(chat).traceId);
    const search = one(chatSpans, 'rag.search');
    expect(ancestors(chatSpans, search)).toEqual(['POST /chat']);
    expect(chatSpans.filter((s) => s.parentSpanId === search.spanId).map((s) => s.name)).toEqual(
      expect.arrayContaining(['rag.search.hybrid']),
    );
    expect(ancestors(chatSpans, one(chatSpans, 'rag.conversations.record_exchange'))).toEqual(['POST /chat']);

    // Streamed: the model call ends with the stream, after the response; its span is still sent.
    const streamed = await as(
      'wt-ingest',
      '/chat',
      postJson({ message: 'What does write-ahead logging record?' }, { accept: 'text/event-stream' }),
    );
    expect(streamed.headers.get('content-type')).toContain('text/event-stream');
    await streamed.text();
    const streamSpans = await spansOf(traceOf(streamed).traceId, (x) =>
      x.some((span) => span.name === 'rag.conversations.record_exchange'),
    );
    const model = one(streamSpans, 'chat local');
    expect(model.attributes).toMatchObject({ 'gen_ai.request.stream': true });
    expect(model.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(ancestors(streamSpans, model)).toEqual(['POST /chat']);
  });

  it('an agent run: steps, model calls and tool calls', async () => {
    const res = await as('wt-agent', '/agent/runs', postJson({ input: 'What is (17+4)*3?' }));
    const run = await readBody(res, createRunRoute, 200);
    const spans = await spansOf(traceOf(res).traceId, (s) =>
      s.some((x) => x.name === 'invoke_agent assistant'),
    );
    const agent = one(spans, 'invoke_agent assistant');
    expect(agent.attributes).toMatchObject({
      'gen_ai.agent.id': run.run_id,
      'cairn.stop_reason': 'completed',
    });
    const steps = named(spans, 'agent.step');
    expect(steps.length).toBeGreaterThanOrEqual(2);
    for (const step of steps) expect(step.parentSpanId).toBe(agent.spanId);
    const tool = one(spans, 'execute_tool calculator');
    expect(ancestors(spans, tool).slice(0, 2)).toEqual(['agent.step', 'invoke_agent assistant']);
    expect(tool.attributes['cairn.tool.status']).toBe('ok');
  });

  it('honours an incoming traceparent and answers with the server span', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4737';
    const res = await call('/health', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    const answered = traceOf(res);
    expect(answered.traceId).toBe(traceId);
    const server = one(await spansOf(traceId), 'GET /health');
    expect(server).toMatchObject({ spanId: answered.spanId, parentSpanId: '00f067aa0ba902b7' });
  });
});
