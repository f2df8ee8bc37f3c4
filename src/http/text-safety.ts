import { z } from 'zod';
import { type FieldError, pointerSegment } from '../errors.ts';

// A lone surrogate is not Unicode text: PostgreSQL stores it as U+FFFD (two different strings
// become one) and NUL it refuses outright. Both are rejected, never silently altered.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Text cairn did not receive from a caller (a model's or an API's) made storable: NUL characters
 * and lone surrogates become U+FFFD. Callers' text is refused instead, never altered.
 */
export const storableText = (text: string): string => text.replace(UNSTORABLE, '\uFFFD');

/** Why `text` cannot be accepted as text (a NUL character or a lone surrogate), or undefined. */
export function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode (it has a lone surrogate)';
  return undefined;
}

/**
 * The first string in a JSON value (object keys included) that `textProblem` refuses, as a field
 * error under `pointer`. Walks iteratively, so a deeply nested value cannot overflow the stack.
 */
export function findUnsafeText(value: unknown, pointer: string): FieldError | undefined {
  const stack: [unknown, string][] = [[value, pointer]];
  while (stack.length > 0) {
    const [node, at] = stack.pop()!;
    if (typeof node === 'string') {
      const problem = textProblem(node);
      if (problem) return { pointer: at, detail: problem };
    } else if (Array.isArray(node)) {
      for (const [i, child] of node.entries()) stack.push([child, `${at}/${i}`]);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        const problem = textProblem(key);
        if (problem) return { pointer: `${at}/${pointerSegment(key)}`, detail: `key ${problem}` };
        stack.push([child, `${at}/${pointerSegment(key)}`]);
      }
    }
  }
  return undefined;
}

/** A string field that refuses NUL characters and lone surrogates (400 with the field's pointer). */
export const safeString = () =>
  z.string().superRefine((text, ctx) => {
    const problem = textProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const unescapePointer = (part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * `schema` for free-form JSON (metadata filters, caller-supplied JSON Schemas), refusing any string
 * in it, keys included, that `textProblem` refuses: a 400 pointing at that string.
 */
export const withSafeText = <T extends z.ZodType>(schema: T): T =>
  schema.superRefine((value, ctx) => {
    const found = findUnsafeText(value, '');
    if (found) {
      const path = found.pointer.split('/').slice(1).map(unescapePointer);
      ctx.addIssue({ code: 'custom', message: found.detail, path });
    }
  }) as T;
