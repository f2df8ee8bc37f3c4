import type { OpenAPIHono } from '@hono/zod-openapi';
import { accountAdminRouter, accountRouter } from './account/index.ts';
import { adminDashboardRouter, adminRouter } from './admin/index.ts';
import { adminUsersRouter } from './admin/users/index.ts';
import { agentsAdminRouter, agentsRouter } from './agents/index.ts';
import { apiReferenceRouter } from './api-reference/index.ts';
import { authRouter } from './auth/index.ts';
import { plansAdminRouter } from './billing/plans/index.ts';
import { usageRecordsAdminRouter } from './billing/usage-records/index.ts';
import { billingWebhooksRouter } from './billing/webhooks/index.ts';
import { analyzeRouter, v1Router } from './gateway/index.ts';
import type { AppEnv } from './http/app-env.ts';
import { mcpRouter } from './mcp/index.ts';
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
  accountRouter,
  ragRouter,
  jobsAdminRouter,
  analyzeRouter,
  v1Router,
  usageRouter,
  agentsRouter,
  agentsAdminRouter,
  mcpRouter,
  adminUsersRouter,
  adminRouter,
  adminDashboardRouter,
  billingWebhooksRouter,
  usageRecordsAdminRouter,
  plansAdminRouter,
  accountAdminRouter,
];

export function mountRoutes(
  app: OpenAPIHono<AppEnv>,
  mounted: readonly OpenAPIHono<AppEnv>[] = routers,
): void {
  for (const router of mounted) app.route('/', router);
}
