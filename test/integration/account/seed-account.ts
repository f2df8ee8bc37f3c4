import { sql } from 'drizzle-orm';
import { expect } from 'vitest';
import { createRunRoute } from '../../../src/agents/runs/runs.routes.ts';
import { createApiKeyRoute } from '../../../src/auth/api-keys.routes.ts';
import { rowsOf } from '../../../src/db/rows.ts';
import { chatRoute } from '../../../src/rag/chat/chat.routes.ts';
import { postJson, readBody } from '../../helpers/json-request.ts';
import { drain, queueText } from '../../helpers/rag.ts';
import type { TestApp } from '../../helpers/test-app.ts';

/**
 * Gives `sub` a row in every table that holds a user's data, through the API: a document (chunks,
 * ingestion record), a chat (conversation, messages, usage), an agent run (trace, tool-call audit),
 * an API key, and a subscription and usage record as billing would write them.
 */
export async function seedAccount(t: TestApp, sub: string) {
  const document = await queueText(t, sub, {
    title: 'Vacuum notes',
    content: '# Vacuum\nVACUUM reclaims storage occupied by dead tuples.',
  });
  await drain(t);
  const chat = await readBody(
    await t.as(sub, '/chat', postJson({ message: 'What does VACUUM do?' })),
    chatRoute,
    200,
  );
  const run = await readBody(
    await t.as(sub, '/agent/runs', postJson({ input: 'Search my documents for VACUUM' })),
    createRunRoute,
    200,
  );
  const key = await readBody(
    await t.as(sub, '/me/api-keys', postJson({ name: 'seed' })),
    createApiKeyRoute,
    201,
  );
  await t.deps.db.execute(sql`
    insert into subscriptions (id, user_id, plan, status, current_period_start, current_period_end)
    values (gen_random_uuid(), ${sub}, 'pro', 'active', now() - interval '1 day', now() + interval '29 days')`);
  await t.deps.db.execute(sql`
    insert into usage_records (id, subscription_id, user_id, plan, period_start, period_end, requests, tokens_in, tokens_out, cost_usd)
    select gen_random_uuid(), id, user_id, plan, current_period_start - interval '1 month', current_period_start, 3, 10, 20, 0
    from subscriptions where user_id = ${sub}`);
  await t.deps.usage.flush();
  return { documentId: document.document.id, conversationId: chat.conversation_id, runId: run.run_id, key };
}

/** Every (table, column) holding a user id: found from the catalog, so a new table is checked too. */
async function userColumns(t: TestApp): Promise<{ table: string; column: string }[]> {
  return rowsOf<{ table: string; column: string }>(
    await t.deps.db.execute(sql`
      select table_name as table, column_name as column from information_schema.columns
      where table_schema = 'public' and column_name in ('user_id', 'owner_id')
      union all select 'users', 'id'
      order by 1, 2`),
  );
}

/** Rows per table that still name `sub`. */
export async function rowsNaming(t: TestApp, sub: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const { table, column } of await userColumns(t)) {
    const [row] = rowsOf<{ n: number }>(
      await t.deps.db.execute(
        sql`select count(*)::int as n from ${sql.identifier(table)} where ${sql.identifier(column)} = ${sub}`,
      ),
    );
    counts[`${table}.${column}`] = row?.n ?? 0;
  }
  return counts;
}

export function expectSeeded(counts: Record<string, number>) {
  for (const table of [
    'documents.owner_id',
    'chunks.owner_id',
    'conversations.owner_id',
    'agent_runs.owner_id',
    'agent_tool_audit.user_id',
    'api_keys.user_id',
    'usage_events.user_id',
    'subscriptions.user_id',
    'usage_records.user_id',
    'users.id',
  ]) {
    expect(counts[table], table).toBeGreaterThan(0);
  }
}
