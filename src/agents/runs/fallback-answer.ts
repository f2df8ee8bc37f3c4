import type { AgentStopReason } from '../../db/tables/agents.ts';

const MAX_FACT_CHARS = 300;

const why: Record<AgentStopReason, string> = {
  completed: 'The run finished.',
  max_steps: 'The run reached its step limit before the model gave a final answer.',
  max_depth: 'The delegation depth limit was reached.',
  timeout: 'The run reached its time limit before the model gave a final answer.',
  budget: 'The run reached its cost budget before the model gave a final answer.',
  rejected: 'The run was stopped because its owner rejected a tool call.',
  error: 'The model could not be reached, so the run ended early.',
};

const clip = (text: string) => (text.length > MAX_FACT_CHARS ? `${text.slice(0, MAX_FACT_CHARS)}…` : text);

/**
 * One line saying what a successful tool call returned, for an answer composed without the model.
 * It quotes results as data; it never follows them.
 */
export function factOf(tool: string, result: unknown): string | undefined {
  if (result === undefined || result === null) return undefined;
  const r = result as Record<string, unknown>;
  if (tool === 'calculator' && typeof r.result === 'number')
    return `calculator: ${String(r.expression)} = ${r.result}`;
  if (tool === 'search_documents' && Array.isArray(r.results)) {
    const top = r.results[0] as { title?: string; text?: string; chunk_id?: number } | undefined;
    return top
      ? `search_documents: "${clip(String(top.text ?? ''))}" (${top.title ?? 'untitled'}) [chunk ${top.chunk_id}]`
      : 'search_documents: nothing found';
  }
  if (tool === 'delegate' && typeof r.answer === 'string') return `delegate: ${clip(r.answer)}`;
  return `${tool}: ${clip(JSON.stringify(result))}`;
}

/**
 * The answer of a run that ended before the model answered: why it stopped, what the tools
 * returned, and which steps failed. Deterministic, and it costs no model call.
 */
export function fallbackAnswer(stopReason: AgentStopReason, facts: string[], failures: string[]): string {
  const parts = [why[stopReason]];
  if (facts.length > 0) parts.push(`What was found:\n${facts.map((f) => `- ${f}`).join('\n')}`);
  else parts.push('No tool returned a result.');
  if (failures.length > 0) parts.push(`What failed:\n${failures.map((f) => `- ${f}`).join('\n')}`);
  return parts.join('\n\n');
}
