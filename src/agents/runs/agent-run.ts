import type { AgentRunStatus, AgentStopReason, AgentTraceKind } from '../../db/tables/agents.ts';
import type { ChatMessage } from '../../llm/llm-client.ts';
import type { InjectionFinding } from '../../security/security.schemas.ts';
import type { AgentLimits } from '../agent-limits.ts';

export interface RunUsage {
  modelCalls: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** A search result a run's answer can cite. */
export interface RunCitation {
  chunkId: number;
  documentId: string;
  documentTitle: string;
  headingPath: string[];
  score: number;
}

/** One step of a run as its summary shows it: the model's decision and what became of each call. */
export interface StepSummary {
  step: number;
  /** `tool_calls` or `answer`. */
  decision: 'tool_calls' | 'answer';
  toolCalls: { id: string; tool: string; decision: string; status: string; latencyMs: number }[];
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  latencyMs: number;
}

export interface AgentRun {
  id: string;
  ownerId: string;
  parentRunId: string | null;
  depth: number;
  profile: string;
  model: string;
  input: string;
  status: AgentRunStatus;
  stopReason: AgentStopReason | null;
  answer: string | null;
  citations: RunCitation[];
  limits: AgentLimits;
  tools: string[];
  steps: StepSummary[];
  usage: RunUsage;
  /** Calls waiting for the owner's decision while `status` is `awaiting_approval`. */
  pendingApproval: { id: string; tool: string; arguments: unknown }[];
  activeMs: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
  /**
   * What the injection detector flagged in this request (the task, tool results); set on the run a
   * request ends with, not stored with the run (its trace keeps the tool results' flags).
   */
  security?: InjectionFinding[];
}

/** One entry of a run's decision chain (a model call or a tool call), in order. */
export interface TraceEntry {
  runId: string;
  seq: number;
  step: number;
  kind: AgentTraceKind;
  detail: Record<string, unknown>;
  createdAt: Date;
}

/** What a paused run resumes from: the conversation and the calls of the step it stopped in. */
export interface PausedState {
  messages: ChatMessage[];
  step: number;
  seq: number;
  argRetries: number;
  /** The step's calls, in order; those already settled carry their tool message. */
  calls: { id: string; name: string; arguments: string; settled?: string }[];
  steps: StepSummary[];
  usage: RunUsage;
  citations: RunCitation[];
  failures: string[];
  facts: string[];
  /** Tool calls made so far (executed or rejected). */
  toolCalls: number;
  /** The profile's approval rules when the run started. */
  approvalTools: string[];
  /** What the injection detector flagged so far; absent when detection is off. */
  security?: InjectionFinding[];
}

/** What a run reports as it goes (the SSE events of a streamed run). */
export type AgentEvent =
  | { type: 'run'; run: AgentRun }
  | {
      type: 'model_decision';
      runId: string;
      step: number;
      content: string | null;
      toolCalls: { id: string; tool: string; arguments: string }[];
      usage: { tokensIn: number; tokensOut: number; costUsd: number };
      latencyMs: number;
    }
  | {
      type: 'tool_call';
      runId: string;
      step: number;
      id: string;
      tool: string;
      arguments: unknown;
      decision: string;
    }
  | {
      type: 'tool_result';
      runId: string;
      step: number;
      id: string;
      tool: string;
      status: string;
      result: unknown;
      latencyMs: number;
    }
  | { type: 'final'; run: AgentRun };
