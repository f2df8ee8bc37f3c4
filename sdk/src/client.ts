import createClient, { type FetchResponse, type MaybeOptionalInit, type Middleware } from 'openapi-fetch';
import type { components, paths } from './generated/schema.ts';
import { CairnProblemError } from './problem.ts';
import { IDEMPOTENT_METHODS, type RetryOptions, resolveRetry, retryDelay, sleep } from './retry.ts';
import { parseSse } from './sse.ts';
import type {
  AgentRunStreamEvent,
  CairnEventStream,
  ChatCompletionChunk,
  ChatStreamEvent,
} from './streams.ts';

type Schemas = components['schemas'];
type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
// The JSON bodies: streams are read through the stream methods, text bodies with `parseAs: 'text'`.
type MediaType = 'application/json';

/** The API's paths that answer `M`. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P] extends { [K in M]: unknown } ? P : never;
}[keyof paths];

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

/** What every call takes besides openapi-fetch's own options (`params`, `body`, `headers`, `parseAs`, `signal`, ...). */
export interface CallOptions {
  /** Sent as `Idempotency-Key`; with `retry`, every attempt carries the same one. */
  idempotencyKey?: string;
  /** Retries this call (overrides the client's `retry`); `false` turns it off. */
  retry?: RetryOptions | boolean;
}

type InitParam<I> = RequiredKeys<I> extends never ? [(I & CallOptions)?] : [I & CallOptions];

/** A call's answer once it succeeded: non-2xx answers throw `CairnProblemError` instead. */
export type Success<R> = R extends { data: infer D; error?: never } ? { data: D; response: Response } : never;

type CairnMethod<M extends Method> = <P extends PathsWith<M>, I extends MaybeOptionalInit<paths[P], M>>(
  url: P,
  ...init: InitParam<I>
) => Promise<Success<FetchResponse<Extract<paths[P][M], Record<string | number, unknown>>, I, MediaType>>>;

export interface CairnClientOptions {
  /** The server's origin, e.g. `http://localhost:8787`. */
  baseUrl: string;
  /** A JWT, or a function returning a fresh one for each request. Sent as `Authorization: Bearer`. */
  token?: string | (() => string | Promise<string>);
  /** A `cairn_sk_` API key (the same header as a token); `token` wins when both are given. */
  apiKey?: string;
  /** The fetch to use (default `globalThis.fetch`): a test double, a Worker's service binding, ... */
  fetch?: (request: Request) => Promise<Response>;
  /** Retry idempotent calls on 429, 503 and network errors, for every call (default off). */
  retry?: RetryOptions | boolean;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

type StreamCall = CallOptions & { signal?: AbortSignal; headers?: Record<string, string> };

export interface CairnClient {
  /** Calls a GET route: `client.GET('/documents/{id}', { params: { path: { id } } })`. */
  GET: CairnMethod<'get'>;
  POST: CairnMethod<'post'>;
  PUT: CairnMethod<'put'>;
  PATCH: CairnMethod<'patch'>;
  DELETE: CairnMethod<'delete'>;
  /** Adds an openapi-fetch middleware (`onRequest`, `onResponse`, `onError`). */
  use(...middleware: Middleware[]): void;
  eject(...middleware: Middleware[]): void;
  /** `POST /chat` as a stream: ends after the `done` event; an `error` event throws. */
  streamChat(
    body: Omit<Schemas['ChatRequest'], 'stream'>,
    options?: StreamCall,
  ): Promise<CairnEventStream<ChatStreamEvent>>;
  /** `POST /v1/chat/completions` with `stream: true`: its chunks, until `[DONE]`; an error chunk throws. */
  streamChatCompletion(
    body: Omit<Schemas['ChatCompletionRequest'], 'stream'>,
    options?: StreamCall,
  ): Promise<CairnEventStream<ChatCompletionChunk>>;
  /** `POST /agent/runs` as a stream: ends after the `final` event (finished or paused); `error` throws. */
  streamAgentRun(
    body: Omit<Schemas['CreateAgentRunRequest'], 'stream'>,
    options?: StreamCall,
  ): Promise<CairnEventStream<AgentRunStreamEvent>>;
  /** `POST /agent/runs/{id}/approve` or `/reject` as a stream, like `streamAgentRun`. */
  streamAgentDecision(
    id: string,
    decision: 'approve' | 'reject',
    options?: StreamCall,
  ): Promise<CairnEventStream<AgentRunStreamEvent>>;
}

type AnyInit = Record<string, unknown> & CallOptions & { headers?: unknown; signal?: AbortSignal | null };
type RawResult = { data?: unknown; error?: unknown; response: Response };
type RawCall = (url: string, init?: Record<string, unknown>) => Promise<RawResult>;

/**
 * A client for the cairn API: openapi-fetch over the types generated from the OpenAPI document,
 * with bearer auth, `Idempotency-Key`s, opt-in retries, problem errors thrown as
 * `CairnProblemError`, and the SSE streams as async iterators. It needs only `fetch`, streams,
 * `TextDecoder` and `crypto.randomUUID`, so it runs on Node, in browsers and on Workers.
 */
export function createCairnClient(options: CairnClientOptions): CairnClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  const credential = options.token ?? options.apiKey;
  if (credential !== undefined) {
    client.use({
      async onRequest({ request }) {
        if (request.headers.has('authorization')) return undefined;
        const value = typeof credential === 'function' ? await credential() : credential;
        request.headers.set('Authorization', `Bearer ${value}`);
        return request;
      },
    });
  }

  const call = (method: string): RawCall => {
    const raw = client[method as 'GET'] as unknown as RawCall;
    return async (url, init = {}) => {
      const { idempotencyKey, retry: retryOption, ...rest } = init as AnyInit;
      const retry = resolveRetry(retryOption ?? options.retry);
      const headers = new Headers(rest.headers as ConstructorParameters<typeof Headers>[0]);
      const declaredKey = (rest.params as { header?: Record<string, unknown> } | undefined)?.header?.[
        'Idempotency-Key'
      ];
      let key = idempotencyKey ?? headers.get('idempotency-key') ?? declaredKey;
      // A call that is not idempotent by its method is retried only under a key, so the server
      // answers a repeated attempt with the first one's response instead of doing the work twice.
      if (retry && key === undefined && !IDEMPOTENT_METHODS.has(method)) key = crypto.randomUUID();
      if (key !== undefined) headers.set('Idempotency-Key', String(key));
      const attempts = retry && (IDEMPOTENT_METHODS.has(method) || key !== undefined) ? retry.attempts : 1;
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await raw(url, { ...rest, headers });
          if (result.response.ok) return result;
          // A streamed call's error body has not been read (parseAs: 'stream'): read it now.
          const body =
            result.error instanceof ReadableStream ? await readErrorBody(result.response) : result.error;
          throw CairnProblemError.from(body, result.response);
        } catch (error) {
          const delay = retry && attempt < attempts ? retryDelay(error, attempt, retry) : undefined;
          if (delay === undefined) throw error;
          await sleep(delay, rest.signal);
        }
      }
    };
  };

  const GET = call('GET');
  const POST = call('POST');

  const openStream = async <E>(
    path: string,
    init: Record<string, unknown>,
    toEvents: (
      frames: AsyncGenerator<{ event: string; data: string }>,
      response: Response,
    ) => AsyncGenerator<E>,
  ): Promise<CairnEventStream<E>> => {
    const { headers, ...rest } = init as { headers?: Record<string, string> };
    const { data, response } = await POST(path, {
      ...rest,
      parseAs: 'stream',
      headers: { Accept: 'text/event-stream', ...headers },
    });
    if (!(data instanceof ReadableStream)) throw new Error(`${path} answered without a stream body.`);
    const events = toEvents(parseSse(data), response);
    return { response, [Symbol.asyncIterator]: () => events };
  };

  const agentEvents = async function* (
    frames: AsyncGenerator<{ event: string; data: string }>,
    response: Response,
  ) {
    for await (const frame of frames) {
      const data: unknown = JSON.parse(frame.data);
      if (frame.event === 'error') throw CairnProblemError.from(data, response);
      yield { event: frame.event, data } as AgentRunStreamEvent;
      if (frame.event === 'final') return;
    }
    throw new Error('The agent run stream ended before its final event.');
  };

  return {
    GET: GET as CairnMethod<'get'>,
    POST: POST as CairnMethod<'post'>,
    PUT: call('PUT') as CairnMethod<'put'>,
    PATCH: call('PATCH') as CairnMethod<'patch'>,
    DELETE: call('DELETE') as CairnMethod<'delete'>,
    use: (...middleware) => client.use(...middleware),
    eject: (...middleware) => client.eject(...middleware),

    streamChat: ({ ...body }, { ...init } = {}) =>
      openStream('/chat', { ...init, body: { ...body, stream: true } }, async function* (frames, response) {
        for await (const frame of frames) {
          const data: unknown = JSON.parse(frame.data);
          if (frame.event === 'error') throw CairnProblemError.from(data, response);
          yield { event: frame.event, data } as ChatStreamEvent;
          if (frame.event === 'done') return;
        }
        throw new Error('The chat stream ended before its done event.');
      }),

    streamChatCompletion: (body, init = {}) =>
      openStream(
        '/v1/chat/completions',
        { ...init, body: { ...body, stream: true } },
        async function* (frames, response) {
          for await (const frame of frames) {
            if (frame.data === '[DONE]') return;
            const data = JSON.parse(frame.data) as ChatCompletionChunk | { error: unknown };
            if ('error' in data) throw CairnProblemError.from(data, response);
            yield data;
          }
          throw new Error('The chat completion stream ended before [DONE].');
        },
      ),

    streamAgentRun: (body, init = {}) =>
      openStream('/agent/runs', { ...init, body: { ...body, stream: true } }, agentEvents),

    streamAgentDecision: (id, decision, init = {}) =>
      openStream(
        `/agent/runs/${encodeURIComponent(id)}/${decision}`,
        { ...init, body: { stream: true } },
        agentEvents,
      ),
  };
}

async function readErrorBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
