import type { Config } from '../../config/schema.ts';
import type { Deps } from '../../deps.ts';
import { createPriceTable, type PriceTable } from '../../llm/pricing/price-table.ts';
import { countTextTokens } from '../../llm/tokens/count-tokens.ts';
import type { QuotaAmounts } from './quota-store.ts';

/** What a route's request brings to the estimate: its raw body (not yet validated) and the deps. */
export interface DemandInput {
  body: string;
  deps: Pick<Deps, 'config' | 'llm'>;
}

/** A route's upper estimate of what one request will use, reserved before the work starts. */
export type QuotaDemand = (input: DemandInput) => Promise<QuotaAmounts>;

// The price table is derived from settings only: one per Config (once on Node, per isolate on Workers).
const priceTables = new WeakMap<Config, PriceTable>();
function pricesOf(config: Config): PriceTable {
  let table = priceTables.get(config);
  if (!table) {
    table = createPriceTable(config.PRICE_OVERRIDES);
    priceTables.set(config, table);
  }
  return table;
}

// The body is parsed (once) only for the few fields that bound the estimate; the route's
// validator still answers malformed bodies with its 400, after this guard.
function fieldsOf(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const positiveInt = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
const modelName = (fields: Record<string, unknown>, fallback: string) =>
  typeof fields.model === 'string' && fields.model.length > 0 ? fields.model : fallback;

/** Tokens in the whole body: every message, schema and option counts, an upper bound of the prompt's text. */
const bodyTokens = (body: string) => countTextTokens(body);

function chatDemand(
  config: Config,
  model: string,
  tokens: { input: number; output: number },
  counts: { modelRequests: number; agentRuns: number },
): QuotaAmounts {
  const { costUsd } = pricesOf(config).cost(model, {
    inputTokens: tokens.input,
    outputTokens: tokens.output,
  });
  return { ...counts, tokens: tokens.input + tokens.output, costUsd };
}

const oneRequest = { modelRequests: 1, agentRuns: 0 };

/** The reservation each model-class route makes (README, "Plans and quotas"). */
export const quotaDemands = {
  /** POST /analyze: the text and schema, and the route's output cap (per repair attempt, the first). */
  analyze: async ({ body, deps }) =>
    chatDemand(
      deps.config,
      modelName(fieldsOf(body), deps.llm.chatModel),
      { input: await bodyTokens(body), output: deps.config.ANALYZE_MAX_OUTPUT_TOKENS },
      oneRequest,
    ),

  /** POST /v1/chat/completions: the messages, and max_completion_tokens or max_tokens, else the cap. */
  chatCompletion: async ({ body, deps }) => {
    const cap = deps.config.LLM_MAX_OUTPUT_TOKENS;
    const fields = fieldsOf(body);
    const asked = positiveInt(fields.max_completion_tokens) ?? positiveInt(fields.max_tokens);
    return chatDemand(
      deps.config,
      modelName(fields, deps.llm.chatModel),
      { input: await bodyTokens(body), output: Math.min(asked ?? cap, cap) },
      oneRequest,
    );
  },

  /** POST /chat: the question (embedded, then asked), the retrieved context, and the output cap. */
  ragChat: async ({ body, deps }) => {
    const question = await bodyTokens(body);
    const embedding = pricesOf(deps.config).cost(deps.llm.embeddingModel, {
      inputTokens: question,
      outputTokens: 0,
    });
    const answer = chatDemand(
      deps.config,
      deps.llm.chatModel,
      { input: question + deps.config.RAG_CHAT_CONTEXT_TOKENS, output: deps.config.LLM_MAX_OUTPUT_TOKENS },
      oneRequest,
    );
    return { ...answer, tokens: answer.tokens + question, costUsd: answer.costUsd + embedding.costUsd };
  },

  /**
   * POST /agent/runs: one agent run and one model request; every step may resend the task and
   * produce up to the output cap, and the run's cost is capped at AGENT_MAX_COST_USD.
   */
  agentRun: async ({ body, deps }) => agentDemand(deps, await bodyTokens(body), 1),

  /** POST /agent/runs/{id}/approve: the rest of a paused run, one more model request. */
  agentContinue: async ({ deps }) => agentDemand(deps, 0, 0),

  /** POST /search: the query's embedding tokens; no model request. */
  search: async ({ body, deps }) => embeddingDemand(deps, body),

  /** POST /v1/embeddings: the input's tokens; embeddings are not model requests. */
  embeddings: async ({ body, deps }) => embeddingDemand(deps, body),
} satisfies Record<string, QuotaDemand>;

function agentDemand(deps: DemandInput['deps'], input: number, agentRuns: number): QuotaAmounts {
  const { config } = deps;
  const steps = config.AGENT_MAX_STEPS;
  const demand = chatDemand(
    config,
    deps.llm.chatModel,
    { input: steps * input, output: steps * config.LLM_MAX_OUTPUT_TOKENS },
    { modelRequests: 1, agentRuns },
  );
  return { ...demand, costUsd: Math.min(demand.costUsd, config.AGENT_MAX_COST_USD) };
}

async function embeddingDemand(deps: DemandInput['deps'], body: string): Promise<QuotaAmounts> {
  const tokens = await bodyTokens(body);
  const model = modelName(fieldsOf(body), deps.llm.embeddingModel);
  const { costUsd } = pricesOf(deps.config).cost(model, { inputTokens: tokens, outputTokens: 0 });
  return { modelRequests: 0, agentRuns: 0, tokens, costUsd };
}
