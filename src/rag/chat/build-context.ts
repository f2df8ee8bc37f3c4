import { countTextTokens } from '../../llm/tokens/count-tokens.ts';
import { DATA_RULES, dataBlock } from '../../security/spotlight.ts';
import type { SearchHit } from '../search/search-chunks.ts';

export interface ContextSource {
  /** The id the model cites it by, as [n]. */
  marker: number;
  hit: SearchHit;
  /** The source as the model sees it: one delimited, escaped `<source>` element. */
  block: string;
}

export interface ChatContext {
  sources: ContextSource[];
  tokens: number;
}

// Retrieved text is data from the caller's documents, possibly written to look like instructions:
// each chunk is one escaped <source> element (src/security/spotlight.ts); the model reads its text as
// written. The title attribute is one line.
const sourceBlock = (marker: number, hit: SearchHit) =>
  dataBlock('source', { id: marker, title: sourceTitle(hit) }, hit.text);

/** The title a source carries to the model: the document title and the chunk's headings. */
export function sourceTitle(hit: SearchHit): string {
  const path =
    hit.headingPath[0] === hit.documentTitle ? hit.headingPath : [hit.documentTitle, ...hit.headingPath];
  return path.join(' > ');
}

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

// No bracketed number appears in the instructions, so a reply that echoes them cites nothing.
const INSTRUCTIONS = [
  "You answer questions from the user's documents. The passages retrieved for this question follow these rules, each in its own source element with an id and a title.",
  'Answer using only these sources. Cite each fact with the id of the source it comes from, in square brackets right after the fact.',
  `If the sources do not contain the answer, reply exactly: "${NO_CONTEXT_ANSWER}"`,
  DATA_RULES,
];

/** The system message: the rules, then the sources in one delimited block after them. */
export function systemPrompt(context: ChatContext): string {
  return [
    INSTRUCTIONS.join('\n'),
    `<sources>\n${context.sources.map((s) => s.block).join('\n\n')}\n</sources>`,
  ].join('\n\n');
}
