import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the fake answers to one request. Scripted replies are consumed in order, then `defaultReply` applies. */
type FakeReply =
  | {
      kind: 'chat';
      content?: string | null;
      toolCalls?: { name: string; arguments: string }[];
      /** null: report no usage at all (cairn must count tokens itself). */
      usage?: { prompt: number; completion: number; cached?: number; reasoning?: number } | null;
      model?: string;
      finishReason?: string;
      /** Streams only: close the connection after this many content chunks, without finishing. */
      cutAfterChunks?: number;
    }
  | { kind: 'embeddings'; dimensions?: number; model?: string }
  | { kind: 'status'; status: number; message?: string; retryAfter?: string; retryAfterMs?: string }
  /** Never answers (until the server closes). */
  | { kind: 'hang' };

interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface FakeOpenAiServer {
  /** Base URL to give the SDK, ending in /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Queues replies for the next POST requests, in order. */
  script(...replies: FakeReply[]): void;
  /** Forgets recorded requests and replies scripted but not used (useTestApp calls it before each test). */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeOpenAiOptions {
  /** Fixed delay before every answer (the benchmark's stand-in for model latency). */
  delayMs?: number;
  /** The reply once the script is used up; by default an "ok" chat reply or embeddings. */
  defaultReply?: (path: string, body: Record<string, unknown>) => FakeReply;
  /** Keep received requests in `requests` (off for benchmarks). */
  record?: boolean;
  port?: number;
}

const defaultReply = (path: string): FakeReply =>
  path.endsWith('/embeddings') ? { kind: 'embeddings' } : { kind: 'chat', content: 'ok' };

/** A deterministic unit vector per text, so equal texts embed equally. */
function vectorFor(text: string, dimensions: number): number[] {
  const digest = createHash('sha256').update(text).digest();
  const v = Array.from({ length: dimensions }, (_, i) => (digest[i % digest.length]! - 127.5) / 127.5);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

const base64Floats = (vector: number[]) => Buffer.from(new Float32Array(vector).buffer).toString('base64');

function usageOf(reply: Extract<FakeReply, { kind: 'chat' }>) {
  const usage = reply.usage === undefined ? { prompt: 10, completion: 5 } : reply.usage;
  if (usage === null) return null;
  return {
    prompt_tokens: usage.prompt,
    completion_tokens: usage.completion,
    total_tokens: usage.prompt + usage.completion,
    ...(usage.cached === undefined ? {} : { prompt_tokens_details: { cached_tokens: usage.cached } }),
    ...(usage.reasoning === undefined
      ? {}
      : { completion_tokens_details: { reasoning_tokens: usage.reasoning } }),
  };
}

const toolCallsOf = (reply: Extract<FakeReply, { kind: 'chat' }>) =>
  (reply.toolCalls ?? []).map((c, i) => ({
    id: `call_${i}`,
    type: 'function',
    function: { name: c.name, arguments: c.arguments },
  }));

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendChat(
  res: ServerResponse,
  body: Record<string, unknown>,
  reply: Extract<FakeReply, { kind: 'chat' }>,
) {
  const model = reply.model ?? String(body.model ?? 'fake-model');
  const toolCalls = toolCallsOf(reply);
  const finish = reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
  const content = reply.content === undefined ? 'ok' : reply.content;
  if (body.stream !== true) {
    sendJson(res, 200, {
      id: 'chatcmpl-fake',
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content,
            refusal: null,
            ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
          },
          finish_reason: finish,
          logprobs: null,
        },
      ],
      usage: usageOf(reply),
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-fake',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }],
    })}\n\n`;
  res.write(chunk({ role: 'assistant', content: '' }));
  const pieces = (content ?? '').match(/.{1,8}/gs) ?? [];
  for (const [i, piece] of pieces.entries()) {
    if (reply.cutAfterChunks !== undefined && i >= reply.cutAfterChunks) {
      // Drop the connection once what was written has reached the client.
      res.write('', () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.write(chunk({ content: piece }));
  }
  for (const [index, call] of toolCalls.entries()) res.write(chunk({ tool_calls: [{ index, ...call }] }));
  res.write(chunk({}, finish));
  const options = body.stream_options as { include_usage?: boolean } | undefined;
  const usage = usageOf(reply);
  if (options?.include_usage && usage) {
    res.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

function sendEmbeddings(
  res: ServerResponse,
  body: Record<string, unknown>,
  reply: Extract<FakeReply, { kind: 'embeddings' }>,
) {
  const inputs = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
  const dimensions = reply.dimensions ?? (typeof body.dimensions === 'number' ? body.dimensions : 8);
  const base64 = body.encoding_format === 'base64';
  sendJson(res, 200, {
    object: 'list',
    data: inputs.map((text, index) => {
      const vector = vectorFor(text, dimensions);
      return { object: 'embedding', index, embedding: base64 ? base64Floats(vector) : vector };
    }),
    model: reply.model ?? String(body.model),
    usage: {
      prompt_tokens: inputs.join(' ').split(/\s+/).length,
      total_tokens: inputs.join(' ').split(/\s+/).length,
    },
  });
}

/**
 * A real HTTP server speaking OpenAI's wire format (JSON, SSE with a final usage chunk, base64
 * embeddings), scriptable per request: valid or invalid JSON content, tool calls, 429 with
 * Retry-After, 5xx, hangs and streams cut short. Drives the openai SDK code path for real.
 */
export async function startFakeOpenAi(options: FakeOpenAiOptions = {}): Promise<FakeOpenAiServer> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const pickDefault = options.defaultReply ?? defaultReply;

  const answer = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    if (options.record !== false)
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }],
      });
      return;
    }
    if (req.method !== 'POST' || !body) {
      sendJson(res, 404, {
        error: { message: 'not found', type: 'invalid_request_error', param: null, code: null },
      });
      return;
    }
    const reply = queue.shift() ?? pickDefault(path, body);
    switch (reply.kind) {
      case 'hang':
        return;
      case 'status':
        sendJson(
          res,
          reply.status,
          {
            error: {
              message: reply.message ?? `fake status ${reply.status}`,
              type: 'fake_error',
              param: null,
              code: null,
            },
          },
          {
            ...(reply.retryAfter ? { 'retry-after': reply.retryAfter } : {}),
            ...(reply.retryAfterMs ? { 'retry-after-ms': reply.retryAfterMs } : {}),
          },
        );
        return;
      case 'embeddings':
        sendEmbeddings(res, body, reply);
        return;
      case 'chat':
        sendChat(res, body, reply);
    }
  };

  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (piece: string) => {
      raw += piece;
    });
    req.on('end', () => {
      if (options.delayMs) setTimeout(() => answer(req, res, raw), options.delayMs);
      else answer(req, res, raw);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...replies) => queue.push(...replies),
    reset() {
      requests.length = 0;
      queue.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
