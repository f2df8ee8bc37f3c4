import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as the collector received it over OTLP/JSON, with its attributes flattened. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  service: string | undefined;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
}
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpValue }[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}

const decode = (value: OtlpValue): unknown => {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(decode);
  return undefined;
};

const attributesOf = (list: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, decode(a.value)]));

/** Flattens one OTLP/JSON ExportTraceServiceRequest into spans. */
function spansOf(request: OtlpRequest): CollectedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resource) => {
    const service = attributesOf(resource.resource?.attributes)['service.name'] as string | undefined;
    return (resource.scopeSpans ?? []).flatMap((scope) =>
      (scope.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId || undefined,
        name: span.name,
        kind: span.kind,
        attributes: attributesOf(span.attributes),
        status: span.status ?? {},
        service,
      })),
    );
  });
}

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export interface OtlpCollector {
  /** Base URL: the exporter posts to `<url>/v1/traces` (set it as OTEL_EXPORTER_OTLP_ENDPOINT). */
  url: string;
  spans: CollectedSpan[];
  /** Export requests received (their content types and headers, for checks). */
  requests: { contentType: string | undefined; headers: Record<string, string | string[] | undefined> }[];
  trace(traceId: string): CollectedSpan[];
  close(): Promise<void>;
}

/**
 * A local OTLP/HTTP traces endpoint that keeps what it receives (JSON only). `GET /spans?trace_id=`
 * answers the spans of a trace, for tests that run elsewhere (workerd) and cannot read `spans`.
 */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const requests: OtlpCollector['requests'] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://collector.test');
    if (req.method === 'POST' && url.pathname === '/v1/traces') {
      const body = await readBody(req);
      requests.push({ contentType: req.headers['content-type'], headers: req.headers });
      spans.push(...spansOf(JSON.parse(body) as OtlpRequest));
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{}');
    }
    if (req.method === 'GET' && url.pathname === '/spans') {
      const traceId = url.searchParams.get('trace_id');
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(traceId ? spans.filter((s) => s.traceId === traceId) : spans));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    requests,
    trace: (traceId) => spans.filter((s) => s.traceId === traceId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
