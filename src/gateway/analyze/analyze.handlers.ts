import type { RouteHandler, z } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import { callMeta } from '../../http/call-meta.ts';
import { toSecurityReport } from '../../security/security.schemas.ts';
import type { analyzeResponseSchema, analyzeTextRoute } from './analyze.routes.ts';
import { type AnalyzeResult, analyzeText } from './analyze-text.ts';

const toAnalyzeResponse = (out: AnalyzeResult, requestId: string): z.input<typeof analyzeResponseSchema> => ({
  result: out.result,
  model: out.model,
  usage: { tokens_in: out.usage.tokensIn, tokens_out: out.usage.tokensOut, cost_usd: out.usage.costUsd },
  attempts: out.attempts,
  request_id: requestId,
  security: toSecurityReport(out.security),
});

export const analyzeTextHandler: RouteHandler<typeof analyzeTextRoute, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const requestId = c.get('requestId');
  const out = await analyzeText(c.get('deps'), {
    text: body.text,
    schema: body.schema,
    model: body.model,
    meta: callMeta(c, '/analyze'),
    signal: c.req.raw.signal,
  });
  c.set('modelCall', { costUsd: out.usage.costUsd, upstreamMs: out.upstreamMs });
  return c.json(toAnalyzeResponse(out, requestId), 200);
};
