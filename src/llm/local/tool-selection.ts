import type { ChatRequest, ToolCall, ToolDefinition } from '../llm-client.ts';
import { offersAgentTools, planToolCalls } from './agent-plan.ts';
import { type SchemaBounds, valueForSchema } from './schema-values.ts';
import { analyseText } from './text-analysis.ts';
import { contentWords } from './text-features.ts';

// Crude stemming so "weather" meets "weathers" and "calculate" meets "calculation".
const stem = (word: string) => (word.length > 5 ? word.slice(0, 5) : word);

const toolTerms = (tool: ToolDefinition) =>
  new Set(
    contentWords(
      `${tool.name.replace(/[_-]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2')} ${tool.description ?? ''}`,
    ).map(stem),
  );

// What a message implies without saying it: "12 * (3 + 4)" asks for a calculator.
const implied: [RegExp, string[]][] = [
  [/\d\s*[-+*/^]\s*[\d(]/, ['calcu', 'arith', 'math', 'expre', 'compu', 'evalu']],
  [/https?:\/\//, ['fetch', 'url', 'web', 'page', 'link']],
];

/** The request's content words, stemmed, and the terms it implies; computed once for all tools. */
function askedTerms(text: string): Set<string> {
  const asked = new Set(contentWords(text).map(stem));
  for (const [pattern, extra] of implied) if (pattern.test(text)) for (const term of extra) asked.add(term);
  return asked;
}

/** How many of the asked terms the tool's name and description share. */
function relevance(tool: ToolDefinition, asked: Set<string>): number {
  const terms = toolTerms(tool);
  let score = 0;
  for (const word of asked) if (terms.has(word)) score++;
  return score;
}

let sequence = 0;

/**
 * Rule-based choice of one tool, for requests offering tools other than cairn's agent tools: the
 * tool whose name and description share the most words with the latest user message, with
 * arguments filled from that message. Returns null when no tool fits (or the conversation already
 * holds a tool result to answer from).
 */
function selectToolCall(request: ChatRequest, bounds: SchemaBounds): ToolCall | null {
  const tools = request.tools ?? [];
  const choice = request.toolChoice ?? 'auto';
  const last = request.messages.at(-1);
  if (tools.length === 0 || choice === 'none' || last?.role === 'tool') return null;
  const question = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  let tool: ToolDefinition | undefined;
  if (typeof choice === 'object') tool = tools.find((t) => t.name === choice.name);
  else {
    const asked = askedTerms(question);
    const ranked = tools
      .map((t, index) => ({ t, index, score: relevance(t, asked) }))
      .sort((a, b) => b.score - a.score || a.index - b.index);
    const best = ranked[0];
    if (best && (best.score > 0 || choice === 'required')) tool = best.t;
  }
  if (!tool) return null;
  const args = valueForSchema(tool.parameters, { analysis: analyseText(question) }, bounds);
  return {
    id: `call_local_${(sequence++).toString(36)}`,
    name: tool.name,
    arguments: JSON.stringify(args ?? {}),
  };
}

/**
 * The offline provider's tool calls: agent requests (only cairn's agent tools offered) follow the
 * multi-step planner in agent-plan.ts; any other request gets at most one call by relevance, as
 * a client of /v1/chat/completions with its own functions expects.
 */
export function selectToolCalls(request: ChatRequest, bounds: SchemaBounds): ToolCall[] {
  if (offersAgentTools(request)) {
    const planned = planToolCalls(request, bounds);
    if (planned) return planned;
    if (request.toolChoice !== 'required') return [];
  }
  const call = selectToolCall(request, bounds);
  return call ? [call] : [];
}
