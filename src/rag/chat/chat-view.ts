import { indexVersionRef } from '../search/search-view.ts';
import type { ChatResult } from './answer-question.ts';

export const usageView = (usage: ChatResult['usage']) =>
  usage ? { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens } : null;

export const chatResultView = (result: ChatResult) => ({
  conversation_id: result.conversationId,
  message_id: result.messageId,
  answer: result.answer,
  grounded: result.grounded,
  citations: result.citations,
  model: result.model,
  usage: usageView(result.usage),
  index_version: indexVersionRef(result.indexVersion),
  context: result.context,
});
