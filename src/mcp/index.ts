import { Hono } from 'hono';
import { quotaDemands } from '../billing/quotas/quota-demands.ts';
import { guarded } from '../guards/guarded.middleware.ts';
import type { AuthedEnv } from '../http/app-env.ts';
import { createRouter } from '../http/create-router.ts';
import { mcpHandler, mcpMethodNotAllowed } from './mcp.handlers.ts';

// The route's guards, as an OpenAPI route declares them: a tool call may embed a search query or
// call out over HTTP, so it is a `model`-class request, reserving the body's tokens as POST /search does.
const { middleware: guards } = guarded({ routeClass: 'model', quota: quotaDemands.search });

const mcp = new Hono<AuthedEnv>()
  .post('/mcp', ...guards, mcpHandler)
  .on(['GET', 'DELETE'], '/mcp', mcpMethodNotAllowed);

/**
 * The agent tools over the Model Context Protocol (Streamable HTTP, stateless): served beside the
 * API but, speaking JSON-RPC, not part of its OpenAPI document (docs/agents.md, "Tools over MCP").
 */
export const mcpRouter = createRouter().route('/', mcp);
