import type { RouteHandler } from '@hono/zod-openapi';
import type { AuthedEnv } from '../../http/app-env.ts';
import type { analyze } from './analyze.routes.ts';
import { analyzeText } from './analyze-text.ts';

export const analyzeHandler: RouteHandler<typeof analyze, AuthedEnv> = async (c) => {
  const body = c.req.valid('json');
  const requestId = c.get('requestId');
  const out = await analyzeText(c.get('deps'), {
    text: body.text,
    schema: body.schema,
    model: body.model,
    meta: { requestId, userId: c.get('principal').userId, route: '/analyze' },
    signal: c.req.raw.signal,
  });
  c.set('modelCall', { costUsd: out.usage.costUsd, upstreamMs: out.upstreamMs });
  return c.json(
    {
      result: out.result as Record<string, unknown>,
      model: out.model,
      usage: { tokens_in: out.usage.tokensIn, tokens_out: out.usage.tokensOut, cost_usd: out.usage.costUsd },
      attempts: out.attempts,
      request_id: requestId,
    },
    200,
  );
};
