import type { AccountedLlm, CallMeta } from '../llm/llm-client.ts';

/**
 * The model client as one API request uses it: every call carries `serverRequestId`, an id the
 * server generated for the request. Usage counts requests by it, since X-Request-Id is the
 * client's to choose (and repeat).
 */
export function llmForRequest(llm: AccountedLlm, serverRequestId: string): AccountedLlm {
  const meta = (given: CallMeta | undefined): CallMeta => ({ ...given, serverRequestId });
  return {
    provider: llm.provider,
    chatModel: llm.chatModel,
    embeddingModel: llm.embeddingModel,
    embeddingDimensions: llm.embeddingDimensions,
    models: () => llm.models(),
    chat: (request) => llm.chat({ ...request, meta: meta(request.meta) }),
    chatStream: (request) => llm.chatStream({ ...request, meta: meta(request.meta) }),
    embed: (request) => llm.embed({ ...request, meta: meta(request.meta) }),
  };
}
