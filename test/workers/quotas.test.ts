import { env as bindings } from 'cloudflare:workers';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createPlanRoute } from '../../src/billing/plans/plans.routes.ts';
import { createChatCompletionRoute } from '../../src/gateway/v1/chat-completions.routes.ts';
import { PROBLEM_CONTENT_TYPE } from '../../src/http/problem.ts';
import { getUsageRoute } from '../../src/usage/usage.routes.ts';
import type { Env } from '../../workers/env.ts';
import { requestDatabase } from '../../workers/request-database.ts';
import { readBody } from '../helpers/json-request.ts';
import { as, postJson } from './worker-client.ts';

const env = bindings as unknown as Env;

const messages = [
  { role: 'system', content: 'Workers run cairn at the edge, next to the users.' },
  { role: 'user', content: 'Where does cairn run?' },
];

/** The tokens a streamed completion reported in its usage chunk. */
function streamedTokens(text: string): number {
  const usage = text
    .split('\n\n')
    .filter((block) => block.startsWith('data: {'))
    .map((block) => JSON.parse(block.slice('data: '.length)) as { usage?: { total_tokens: number } })
    .find((chunk) => chunk.usage)?.usage;
  if (!usage) throw new Error(`no usage chunk in the stream: ${text}`);
  return usage.total_tokens;
}

// Reservation before the work and settlement under waitUntil, on workerd's per-request database client.
describe('usage quotas inside workerd', () => {
  it('lets a plan’s daily model requests through, refuses the next with 429, and settles actual tokens', async () => {
    // The plan through the admin route, the user put on it in the database (as a subscription would).
    const plan = await readBody(
      await as('wk-quota-admin', '/admin/plans', {
        role: 'admin',
        ...postJson({
          name: 'wk-small',
          model_requests_per_day: 3,
          tokens_per_month: 100_000,
          cost_usd_per_month: null,
          agent_runs_per_day: null,
          documents: null,
          stored_bytes: null,
        }),
      }),
      createPlanRoute,
      201,
    );
    expect(plan.model_requests_per_day).toBe(3);
    await requestDatabase(env).execute(sql`insert into users (id, plan) values ('wk-quota', 'wk-small')`);

    let sent = 0;
    for (let i = 0; i < 2; i++) {
      const completion = await readBody(
        await as('wk-quota', '/v1/chat/completions', postJson({ model: 'local', messages, max_tokens: 400 })),
        createChatCompletionRoute,
        200,
      );
      sent += completion.usage!.total_tokens;
    }
    // The third as a stream: settled after its last event, under waitUntil.
    const stream = await as(
      'wk-quota',
      '/v1/chat/completions',
      postJson({
        model: 'local',
        messages,
        max_tokens: 400,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(stream.status).toBe(200);
    sent += streamedTokens(await stream.text());

    const refused = await as('wk-quota', '/v1/chat/completions', postJson({ model: 'local', messages }));
    expect(refused.status).toBe(429);
    const insufficient = (await refused.json()) as { error: { code: string; message: string } };
    expect(insufficient.error.code).toBe('insufficient_quota');
    expect(insufficient.error.message).toContain('model_requests_per_day');

    // Off /v1, the same refusal is problem+json with the quota's members.
    const problem = await as(
      'wk-quota',
      '/analyze',
      postJson({ text: 'Acme Corp opened an office in Paris.' }),
    );
    expect(problem.status).toBe(429);
    expect(problem.headers.get('content-type')).toContain(PROBLEM_CONTENT_TYPE);
    const retryAfter = Number(problem.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    const tomorrow = new Date();
    tomorrow.setUTCHours(24, 0, 0, 0);
    expect(await problem.json()).toMatchObject({
      type: 'urn:cairn:problem:usage-quota-exhausted',
      status: 429,
      quota: 'model_requests_per_day',
      plan: 'wk-small',
      limit: 3,
      used: 3,
      requested: 1,
      resets_at: tomorrow.toISOString(),
    });

    const usage = await readBody(await as('wk-quota', '/usage'), getUsageRoute, 200);
    expect(usage.plan).toBe('wk-small');
    const quota = (name: string) => usage.quotas.find((q) => q.quota === name);
    expect(quota('model_requests_per_day')).toMatchObject({ limit: 3, used: 3, reserved: 0, remaining: 0 });
    // Settled with what the calls reported (each reserved its body and 400 output tokens).
    expect(sent).toBeLessThan(3 * 400);
    expect(quota('tokens_per_month')).toMatchObject({
      limit: 100_000,
      used: sent,
      reserved: 0,
      remaining: 100_000 - sent,
    });
  });
});
