import type { FieldError } from '../../errors.ts';
import type { ChatMessage, JsonSchema } from '../../llm/llm-client.ts';
import { DATA_RULES, dataBlock } from '../../security/spotlight.ts';

/**
 * The conversation asking for an analysis. The text travels alone in the user message, as one
 * escaped <document> element, and the system message says it is data, so instructions hidden in
 * it are analysed rather than obeyed.
 */
export function analysisMessages(text: string, schema: JsonSchema): ChatMessage[] {
  return [
    {
      role: 'system',
      content: [
        "You are cairn's text-analysis service. Analyse the text of the document element in the user message and reply with one JSON object that conforms to this JSON Schema:",
        JSON.stringify(schema),
        DATA_RULES,
        'Reply with the JSON object only: no prose, no code fences.',
      ].join('\n\n'),
    },
    { role: 'user', content: dataBlock('document', {}, text) },
  ];
}

/** The follow-up after a rejected reply: the reply itself, then what was wrong with it. */
export function repairMessages(reply: string, errors: FieldError[]): ChatMessage[] {
  const listed = errors
    .slice(0, 10)
    .map((e) => `- ${e.pointer.replace(/^\/result/, '') || '/'}: ${e.detail}`)
    .join('\n');
  return [
    { role: 'assistant', content: reply },
    {
      role: 'user',
      content: `Your reply was rejected:\n${listed}\n\nReply again with only a JSON object that conforms to the schema, analysing the same text.`,
    },
  ];
}
