import type { Config } from '../../config/schema.ts';
import { AppError, type FieldError, validationFailed } from '../../errors.ts';
import type { AccountedLlm, CallMeta, ChatMessage, JsonSchema } from '../../llm/llm-client.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Telemetry } from '../../observability/telemetry.ts';
import { injectionRefused, screening, screenText } from '../../security/injection-screen.ts';
import type { InjectionFinding } from '../../security/security.schemas.ts';
import { schemaLimits, schemaProblems } from '../schema-limits.ts';
import { analysisMessages, repairMessages } from './analysis-prompt.ts';
import { analysisJsonSchema } from './analysis-schema.ts';
import { parseReply } from './parse-reply.ts';
import { jsonSchemaValidator, type ResultValidator, validateAnalysis } from './result-validator.ts';

export interface AnalyzeInput {
  text: string;
  /** A caller-supplied JSON Schema; the default analysis when absent. */
  schema?: Record<string, unknown>;
  model?: string;
  meta: CallMeta;
  signal?: AbortSignal;
}

export interface AnalyzeResult {
  /** The validated reply: a JSON object, as every accepted schema has an object at its root. */
  result: Record<string, unknown>;
  model: string;
  usage: { tokensIn: number; tokensOut: number; costUsd: number };
  attempts: number;
  /** Time spent waiting on the provider over all attempts. */
  upstreamMs: number;
  /** What the injection detector flagged in the text; undefined when detection is off. */
  security: InjectionFinding[] | undefined;
}

type AnalyzeDeps = { llm: AccountedLlm; config: Config; logger: Logger; telemetry: Telemetry };

function chooseSchema(config: Config, schema: Record<string, unknown> | undefined) {
  if (!schema) return { json: analysisJsonSchema, validate: validateAnalysis, strict: true };
  const problems = schemaProblems(schema, schemaLimits(config));
  if (problems.length > 0) {
    throw validationFailed('The schema cannot be used for structured output.', problems, 422);
  }
  let validate: ResultValidator;
  try {
    validate = jsonSchemaValidator(schema);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw validationFailed(
      'The schema cannot be used for structured output.',
      [{ pointer: '/body/schema', detail: `the validator cannot use it: ${reason}` }],
      422,
    );
  }
  return { json: schema as JsonSchema, validate, strict: false };
}

/**
 * Asks the model for JSON matching the schema, validates the reply and, when it is not valid
 * JSON or violates the schema, asks again with the violations fed back, up to
 * ANALYZE_MAX_ATTEMPTS. Never returns unvalidated output: after the last attempt it throws 502.
 */
export async function analyzeText(deps: AnalyzeDeps, input: AnalyzeInput): Promise<AnalyzeResult> {
  const { config } = deps;
  if (input.text.length > config.ANALYZE_MAX_TEXT_CHARS) {
    throw validationFailed('The text is too long.', [
      { pointer: '/body/text', detail: `must be at most ${config.ANALYZE_MAX_TEXT_CHARS} characters` },
    ]);
  }
  const finding = screenText(deps, { text: input.text, source: 'input', route: '/analyze' });
  if (finding?.withheld) throw injectionRefused(finding, '/body/text');
  const security = screening(config) ? (finding ? [finding] : []) : undefined;
  const schema = chooseSchema(config, input.schema);
  const validate: ResultValidator = schema.validate;
  const messages: ChatMessage[] = analysisMessages(input.text, schema.json);
  const usage = { tokensIn: 0, tokensOut: 0, costUsd: 0 };
  let upstreamMs = 0;
  let errors: FieldError[] = [];
  let model = input.model ?? deps.llm.chatModel;

  for (let attempt = 1; attempt <= config.ANALYZE_MAX_ATTEMPTS; attempt++) {
    const reply = await deps.llm.chat({
      model: input.model,
      messages,
      responseFormat: { type: 'json_schema', name: 'analysis', schema: schema.json, strict: schema.strict },
      maxTokens: config.ANALYZE_MAX_OUTPUT_TOKENS,
      meta: input.meta,
      signal: input.signal,
    });
    model = reply.model;
    usage.tokensIn += reply.accounting.usage.inputTokens;
    usage.tokensOut += reply.accounting.usage.outputTokens;
    usage.costUsd += reply.accounting.costUsd;
    upstreamMs += reply.accounting.upstreamMs;
    const parsed = parseReply(reply.content);
    errors = parsed.ok ? validate(parsed.value) : parsed.errors;
    if (parsed.ok && errors.length === 0)
      return {
        result: parsed.value as Record<string, unknown>,
        model,
        usage,
        attempts: attempt,
        upstreamMs,
        security,
      };
    messages.push(...repairMessages(reply.content ?? '', errors));
  }
  throw new AppError({
    status: 502,
    slug: 'upstream-invalid-output',
    title: 'Model output failed validation',
    detail: `The model did not return JSON matching the schema in ${config.ANALYZE_MAX_ATTEMPTS} attempt(s).`,
    errors,
    extensions: { attempts: config.ANALYZE_MAX_ATTEMPTS, model },
  });
}
