import { Validator } from '@cfworker/json-schema';
import type { FieldError } from '../../errors.ts';
import type { JsonSchema } from '../../llm/llm-client.ts';
import { analysisSchema } from './analysis-schema.ts';

/** Checks a parsed model reply; returns what is wrong with it (nothing when valid). */
export type ResultValidator = (value: unknown) => FieldError[];

const pointer = (path: (string | number)[]) =>
  `/result${path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`;

/** The default analysis, validated by its zod schema. */
export const validateAnalysis: ResultValidator = (value) => {
  const parsed = analysisSchema.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) => ({
    pointer: pointer(issue.path as (string | number)[]),
    detail: issue.message,
  }));
};

// Container keywords only repeat what their children already reported.
const summaryKeywords = new Set(['properties', 'items', 'prefixItems', 'allOf', '$ref', 'additionalItems']);

/**
 * A caller's JSON Schema, validated by @cfworker/json-schema: an interpreter, not a code
 * generator, so it runs on Workers where eval and new Function are forbidden.
 */
export function jsonSchemaValidator(schema: JsonSchema): ResultValidator {
  const validator = new Validator(schema, '2020-12', false);
  return (value) => {
    const { valid, errors } = validator.validate(value);
    if (valid) return [];
    const leaves = errors.filter((e) => !summaryKeywords.has(e.keyword));
    return (leaves.length > 0 ? leaves : errors).map((e) => ({
      pointer: `/result${e.instanceLocation.replace(/^#/, '')}`,
      detail: e.error,
    }));
  };
}
