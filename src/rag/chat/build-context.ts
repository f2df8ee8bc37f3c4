import { countTextTokens } from '../../llm/tokens/count-tokens.ts';
import type { SearchHit } from '../search/search-chunks.ts';

export interface ContextSource {
  /** The [n] the model cites it by. */
  marker: number;
  hit: SearchHit;
  block: string;
}

export interface ChatContext {
  sources: ContextSource[];
  tokens: number;
}

const sourceBlock = (marker: number, hit: SearchHit) => {
  const path =
    hit.headingPath[0] === hit.documentTitle ? hit.headingPath : [hit.documentTitle, ...hit.headingPath];
  return `[${marker}] ${path.join(' > ')}\n${hit.text}`;
};

/**
 * Fits retrieved chunks into the context budget, highest-ranked first, counting tokens with
 * the tokenizer; it stops at the first chunk that would overflow, so a lower-ranked chunk
 * never displaces a better one.
 */
export async function buildContext(hits: SearchHit[], budgetTokens: number): Promise<ChatContext> {
  const sources: ContextSource[] = [];
  let tokens = 0;
  for (const hit of hits) {
    const block = sourceBlock(sources.length + 1, hit);
    const cost = (await countTextTokens(block)) + (sources.length > 0 ? 1 : 0);
    if (tokens + cost > budgetTokens) break;
    sources.push({ marker: sources.length + 1, hit, block });
    tokens += cost;
  }
  return { sources, tokens };
}

export const NO_CONTEXT_ANSWER = 'The provided context does not contain the answer.';

/** The system message: how to answer, then the sources. */
export function systemPrompt(context: ChatContext): string {
  return [
    'Answer the question using only the numbered sources below, and cite each fact with its source number like [1].',
    `If the sources do not contain the answer, reply exactly: "${NO_CONTEXT_ANSWER}"`,
    '',
    'Sources:',
    '',
    context.sources.map((s) => s.block).join('\n\n'),
  ].join('\n');
}
