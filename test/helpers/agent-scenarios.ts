import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dataBlockText } from '../../src/security/spotlight.ts';
import type { FakeOpenAiOptions } from './fake-openai-server.ts';

/** What the fake OpenAI server answers to one request (its own type is not exported). */
export type FakeReply = ReturnType<NonNullable<FakeOpenAiOptions['defaultReply']>>;

/** A chat completion request as the fake server receives it (OpenAI's wire format). */
export interface ChatBody {
  model: string;
  messages: {
    role: string;
    content: string | null;
    tool_call_id?: string;
    tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  }[];
  tools?: { function: { name: string } }[];
  tool_choice?: unknown;
}

/** A tool message the agent loop fed back, parsed: `{ ok: true, result }` or `{ ok: false, error }`. */
export interface FedBack {
  id: string;
  tool: string;
  ok: boolean;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; issues?: { path: string; message: string }[] };
}

/** The tool results the model has been given so far, in order, each with the tool it answers. */
export function fedBack(body: ChatBody): FedBack[] {
  const names = new Map<string, string>();
  for (const m of body.messages) for (const c of m.tool_calls ?? []) names.set(c.id, c.function.name);
  return body.messages
    .filter((m) => m.role === 'tool')
    .map((m) => {
      // The loop wraps each envelope in a <tool_result> element (src/security/spotlight.ts).
      const envelope = dataBlockText('tool_result', m.content ?? '') ?? m.content ?? 'null';
      const parsed = JSON.parse(envelope) as Omit<FedBack, 'id' | 'tool'>;
      return { id: m.tool_call_id ?? '', tool: names.get(m.tool_call_id ?? '') ?? '?', ...parsed };
    });
}

/** The last result fed back for `tool`; throws when the model was never given one. */
export function lastResult(body: ChatBody, tool: string): FedBack {
  const found = fedBack(body)
    .filter((r) => r.tool === tool)
    .at(-1);
  if (!found) throw new Error(`the model was given no ${tool} result`);
  return found;
}

/** A model turn: a fixed reply, or one written from the request (a model reading its tool results). */
export type ModelTurn = FakeReply | ((body: ChatBody) => FakeReply);

/**
 * A scripted model for the fake OpenAI server whose script only answers chat completions:
 * embedding requests (ingestion, the search tool's query) always get embeddings, so they never
 * consume a chat turn as the server's own queue would. Pass `defaultReply` in the server's options.
 */
export function scriptedModel() {
  const turns: ModelTurn[] = [];
  return {
    defaultReply(path: string, body: Record<string, unknown>): FakeReply {
      if (path.endsWith('/embeddings')) return { kind: 'embeddings' };
      const turn = turns.shift();
      if (turn === undefined) return { kind: 'chat', content: 'unscripted' };
      return typeof turn === 'function' ? turn(body as unknown as ChatBody) : turn;
    },
    /** Queues chat turns, in order. */
    script(...next: ModelTurn[]) {
      turns.push(...next);
    },
    /** Turns scripted but not used. */
    pending: () => turns.length,
    reset() {
      turns.length = 0;
    },
  };
}

/** A tool call as a scripted model writes it. */
export const toolCall = (name: string, args: unknown) => ({ name, arguments: JSON.stringify(args) });

/**
 * A fake exchange-rates service on loopback for the http_request tool: `/rates` answers JSON
 * rates, `/fail` a 500, `/hang` never answers. Every request is counted by its path and query, so
 * a test can show a URL was never called.
 */
export async function startRatesApi() {
  const hits = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const path = url.split('?')[0];
    if (path === '/hang') {
      hanging.add(res);
      return;
    }
    const [status, body] =
      path === '/rates'
        ? [200, { base: 'USD', date: '2025-01-08', rates: { EUR: 0.92, GBP: 0.79 } }]
        : path === '/fail'
          ? [500, { error: 'the rates service is down' }]
          : [404, { error: 'not found' }];
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    /** The allowlist entry for AGENT_HTTP_ALLOWED_HOSTS. */
    host,
    /** A URL on the service, made unique to a test by `tag`. */
    url: (path: '/rates' | '/fail' | '/hang', tag: string) => `http://${host}${path}?for=${tag}`,
    /** How many requests reached this URL. */
    hits: (url: string) => hits.get(url.slice(`http://${host}`.length)) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
