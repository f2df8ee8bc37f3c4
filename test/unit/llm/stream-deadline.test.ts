import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createLlm } from '../../../src/llm/create-llm.ts';
import type { ChatStreamEvent, LlmClient } from '../../../src/llm/llm-client.ts';
import { LlmError } from '../../../src/llm/llm-error.ts';
import { createLocalClient } from '../../../src/llm/local/local-client.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import type { UsageEvent } from '../../../src/usage/usage-sink.ts';

/** A provider whose streams say one thing, then wait until they are aborted. */
function stallingProvider(): LlmClient & { signals: AbortSignal[] } {
  const local = createLocalClient({ embeddingDimensions: 8 });
  const signals: AbortSignal[] = [];
  return {
    ...local,
    signals,
    async *chatStream(request): AsyncIterable<ChatStreamEvent> {
      const signal = request.signal!;
      signals.push(signal);
      yield { type: 'delta', content: 'the first half of an answer' };
      await new Promise((_, reject) =>
        signal.addEventListener(
          'abort',
          () => reject(new LlmError('aborted', 'The model call was aborted.')),
          {
            once: true,
          },
        ),
      );
    },
  };
}

/** The accounted client around the stalling provider, with a 300 ms whole-stream deadline. */
function setup() {
  const provider = stallingProvider();
  const config = loadConfig({
    LLM_TIMEOUT_MS: '300',
    LLM_FIRST_TOKEN_TIMEOUT_MS: '200',
    LLM_MAX_RETRIES: '0',
  });
  const logger = createLogger({ level: 'silent', write: () => {} });
  const events: UsageEvent[] = [];
  const bindLlm = createLlm({ config, logger, provider, now: () => new Date() });
  const llm = bindLlm({ record: (e) => events.push(e), flush: async () => {} });
  const stream = (signal?: AbortSignal) =>
    llm.chatStream({ messages: [{ role: 'user', content: 'hi' }], signal })[Symbol.asyncIterator]();
  return { provider, events, stream };
}

describe('the whole-stream deadline of the accounted client', () => {
  it('times out a stream that stalls after its first event, stops the provider and bills what it said', async () => {
    const { provider, events, stream } = setup();
    const reader = stream();
    expect((await reader.next()).value).toMatchObject({ type: 'delta' });
    const error = await reader.next().catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', message: expect.stringContaining('300 ms') });
    expect(provider.signals[0]?.aborted).toBe(true);
    expect(events).toEqual([
      expect.objectContaining({ operation: 'chat_stream', status: 'timeout', tokensEstimated: true }),
    ]);
    expect(events[0]?.tokensOut).toBeGreaterThan(0);
  });

  it('ends as aborted when the caller goes away mid-stream', async () => {
    const { provider, events, stream } = setup();
    const caller = new AbortController();
    const reader = stream(caller.signal);
    await reader.next();
    const pending = reader.next();
    caller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    expect(provider.signals[0]?.aborted).toBe(true);
    expect(events).toEqual([expect.objectContaining({ status: 'aborted', tokensEstimated: true })]);
  });

  it('stops the provider and bills the stream as cancelled when the consumer stops reading', async () => {
    const { provider, events, stream } = setup();
    const reader = stream();
    await reader.next();
    await reader.return?.();
    expect(provider.signals[0]?.aborted).toBe(true);
    expect(events).toEqual([expect.objectContaining({ status: 'cancelled', tokensEstimated: true })]);
  });

  it("hands the provider a signal that is already aborted when the caller left before it opened, with the caller's reason", async () => {
    const { provider, stream } = setup();
    const caller = new AbortController();
    const reason = new Error('client closed the connection');
    caller.abort(reason);
    const reader = stream(caller.signal);
    await reader.next().catch(() => undefined);
    expect(provider.signals[0]?.aborted).toBe(true);
    expect(provider.signals[0]?.reason).toBe(reason);
  });
});
