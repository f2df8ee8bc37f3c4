import type { FieldError } from '../../errors.ts';

const fenced = /^```(?:json)?\s*([\s\S]*?)\s*```$/;

/** Parses a model reply as JSON, tolerating a Markdown code fence around it. */
export function parseReply(
  content: string | null,
): { ok: true; value: unknown } | { ok: false; errors: FieldError[] } {
  const text = (content ?? '').trim();
  if (text.length === 0)
    return { ok: false, errors: [{ pointer: '/result', detail: 'the reply was empty' }] };
  const body = fenced.exec(text)?.[1] ?? text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    return {
      ok: false,
      errors: [{ pointer: '/result', detail: `the reply is not valid JSON (${(error as Error).message})` }],
    };
  }
}
