import { calculatorTool } from './calculator.tool.ts';
import { delegateTool } from './delegate.tool.ts';
import { documentInfoTool } from './document-info.tool.ts';
import { httpRequestTool } from './http-request.tool.ts';
import { searchDocumentsTool } from './search-documents.tool.ts';
import type { AgentTool } from './tool.ts';
import { usageSummaryTool } from './usage-summary.tool.ts';

/** Every tool an agent can be given, in one place (docs/agents.md, "Adding a tool"). */
export const toolRegistry: readonly AgentTool[] = [
  searchDocumentsTool,
  calculatorTool,
  httpRequestTool,
  usageSummaryTool,
  documentInfoTool,
  delegateTool,
];

const byName = new Map(toolRegistry.map((tool) => [tool.name, tool]));

/** The registered tool of that name, if any. */
export const findTool = (name: string): AgentTool | undefined => byName.get(name);
