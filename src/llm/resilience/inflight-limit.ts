import type { LlmClient } from '../llm-client.ts';
import { LlmError } from '../llm-error.ts';

/** How long a shed caller is asked to wait: slots free up as fast as model calls end. */
const RETRY_AFTER_MS = 1000;

/**
 * Bounds the calls in flight toward one provider (LLM_MAX_INFLIGHT). Each attempt holds a slot
 * from its request to the provider until its reply, its stream's last event, or the consumer
 * stopping the stream, whichever comes first; a call beyond the bound fails at once, before the
 * provider is asked, with LlmError `overloaded` (503, Retry-After 1). Load is shed, not queued:
 * the retry policy does not retry it and the breaker does not count it. The count lives with this
 * wrapper, so it is per process (per isolate on Workers).
 */
export function limitInflight(provider: LlmClient, options: { max: number }): LlmClient {
  let inflight = 0;
  const acquire = () => {
    if (inflight >= options.max) {
      throw new LlmError(
        'overloaded',
        `${options.max} calls to the ${provider.provider} provider are already in flight; retry shortly.`,
        { retryAfterMs: RETRY_AFTER_MS },
      );
    }
    inflight++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      inflight--;
    };
  };
  const holding = async <T>(work: () => Promise<T>): Promise<T> => {
    const release = acquire();
    try {
      return await work();
    } finally {
      release();
    }
  };

  return {
    provider: provider.provider,
    chatModel: provider.chatModel,
    embeddingModel: provider.embeddingModel,
    embeddingDimensions: provider.embeddingDimensions,
    models: () => provider.models(),
    chat: (request) => holding(() => provider.chat(request)),
    embed: (request) => holding(() => provider.embed(request)),
    async *chatStream(request) {
      const release = acquire();
      try {
        for await (const event of provider.chatStream(request)) {
          // The call is over at its last event, whether or not the consumer asks for the end after it.
          if (event.type === 'done') release();
          yield event;
        }
      } finally {
        release();
      }
    },
  };
}
