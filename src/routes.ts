import type { OpenAPIHono } from '@hono/zod-openapi';
import { agentsAdminRouter, agentsRouter } from './agents/index.ts';
import { apiReferenceRouter } from './api-reference/index.ts';
import { authRouter } from './auth/index.ts';
import { analyzeRouter, v1Router } from './gateway/index.ts';
import type { AppEnv } from './http/app-env.ts';
import { metricsRouter } from './observability/metrics-export/index.ts';
import { jobsAdminRouter } from './queue/index.ts';
import { ragRouter } from './rag/index.ts';
import { systemRouter } from './system/index.ts';
import { usageRouter } from './usage/index.ts';

/** Every capability's router, in one list; createApp and the OpenAPI script both mount it. */
export const routers: OpenAPIHono<AppEnv>[] = [
  systemRouter,
  metricsRouter,
  apiReferenceRouter,
  authRouter,
  ragRouter,
  jobsAdminRouter,
  analyzeRouter,
  v1Router,
  usageRouter,
  agentsRouter,
  agentsAdminRouter,
];

export function mountRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const router of routers) app.route('/', router);
}
