import { createRoute, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import type { App } from '../../src/app.ts';
import { AppError } from '../../src/errors.ts';
import { guarded } from '../../src/guards/guarded.middleware.ts';
import { authErrorResponses, problemResponses } from '../../src/http/openapi.ts';
import type { LlmClient } from '../../src/llm/llm-client.ts';
import { createLocalClient } from '../../src/llm/local/local-client.ts';

const probeBody = z.object({ text: z.string(), stream: z.boolean().optional() });
const probeReply = z.object({ answer: z.string(), call: z.number() });
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });

const probeWork = (path: string) =>
  createRoute({
    method: 'post',
    path,
    ...guarded({ routeClass: 'model', idempotent: true }),
    request: { body: { ...json(probeBody), required: true } },
    responses: {
      200: {
        description: 'Done, as Server-Sent Events (stream: true)',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      201: { description: 'Done', ...json(probeReply) },
      ...authErrorResponses,
      ...problemResponses,
    },
  });

const probeRead = createRoute({
  method: 'get',
  path: '/test/probe',
  ...guarded({ routeClass: 'read' }),
  responses: {
    200: { description: 'Read', ...json(z.object({ ok: z.boolean() })) },
    ...authErrorResponses,
    ...problemResponses,
  },
});

/**
 * Test-only routes behind the real guards: POST /test/probe and /test/probe/other (model
 * class, idempotent) each make one model call through `llm`, which counts them; GET
 * /test/probe (read class) does nothing. Tests can hold requests inside the handler and
 * make the next ones fail with a chosen status.
 */
export interface GuardProbe {
  /** The local provider, counting every call: give it to the app as `llm`, so it is still accounted. */
  llm: LlmClient;
  /** Model calls made so far: the upstream work a replay must never repeat. */
  modelCalls(): number;
  /** Requests entering the handler from now on wait until `release()`; `entered` resolves at the first. */
  hold(): { entered: Promise<void>; release(): void };
  /** The next `count` requests fail, after their model call, with `status`. */
  failNext(status: number, count?: number): void;
  mount(app: App): void;
}

/** Wraps a model client, counting every call it passes on (chat, streamed chat, embeddings). */
export function countModelCalls(inner: LlmClient): { llm: LlmClient; calls(): number } {
  let calls = 0;
  const counted = <T>(call: () => T) => {
    calls += 1;
    return call();
  };
  return {
    calls: () => calls,
    llm: {
      provider: inner.provider,
      chatModel: inner.chatModel,
      embeddingModel: inner.embeddingModel,
      embeddingDimensions: inner.embeddingDimensions,
      chat: (request) => counted(() => inner.chat(request)),
      chatStream: (request) => counted(() => inner.chatStream(request)),
      embed: (request) => counted(() => inner.embed(request)),
      models: () => inner.models(),
    },
  };
}

export function createGuardProbe(): GuardProbe {
  const counted = countModelCalls(createLocalClient({ embeddingDimensions: 384 }));
  let gate: { entered: () => void; released: Promise<void> } | undefined;
  const failures: number[] = [];

  return {
    llm: counted.llm,
    modelCalls: counted.calls,
    hold() {
      let release = () => {};
      let entered = () => {};
      const enteredPromise = new Promise<void>((resolve) => {
        entered = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      gate = { entered, released };
      return {
        entered: enteredPromise,
        release() {
          gate = undefined;
          release();
        },
      };
    },
    failNext(status, count = 1) {
      for (let i = 0; i < count; i++) failures.push(status);
    },
    mount(app) {
      for (const path of ['/test/probe', '/test/probe/other']) {
        app.openapi(probeWork(path), async (c) => {
          const body = c.req.valid('json') as z.infer<typeof probeBody>;
          const deps = c.get('deps');
          const reply = await deps.llm.chat({ messages: [{ role: 'user', content: body.text }] });
          const call = counted.calls();
          if (gate) {
            const { entered, released } = gate;
            entered();
            await released;
          }
          const failure = failures.shift();
          if (failure !== undefined) {
            throw new AppError({
              status: failure,
              slug: 'probe',
              title: 'Probe failure',
              detail: `call ${call}`,
            });
          }
          c.header('X-Probe-Call', String(call));
          c.header('Location', `/test/probe/${call}`);
          if (body.stream) {
            return streamSSE(c, async (stream) => {
              for (const word of (reply.content ?? '').split(' ').slice(0, 5)) {
                await stream.writeSSE({ event: 'delta', data: word });
              }
              await stream.writeSSE({ event: 'done', data: String(call) });
            }) as never;
          }
          return c.json({ answer: reply.content ?? '', call }, 201);
        });
      }
      app.openapi(probeRead, (c) => c.json({ ok: true }, 200));
    },
  };
}
