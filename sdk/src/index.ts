export {
  type CairnClient,
  type CairnClientOptions,
  type CallOptions,
  createCairnClient,
  type PathsWith,
  type Success,
} from './client.ts';
export type { components, operations, paths } from './generated/schema.ts';
export { CairnProblemError, type Problem, type ProblemFieldError } from './problem.ts';
export type { RetryOptions } from './retry.ts';
export { parseSse, type SseFrame } from './sse.ts';
export type {
  AgentRunStreamEvent,
  CairnEventStream,
  ChatCompletionChunk,
  ChatStreamEvent,
} from './streams.ts';
