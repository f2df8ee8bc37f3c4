import { sql } from 'drizzle-orm';
import type { Database } from '../db/database.ts';
import type { UsageEvent } from './usage-sink.ts';

/**
 * Stores a batch of usage events in one INSERT. The rows travel as a single json parameter
 * unpacked by json_to_recordset: about five times faster than a VALUES list of 17 parameters
 * per row, on PostgreSQL and PGlite alike (measured at 200 rows a batch). json rather than jsonb:
 * the text is read once into the columns' types instead of first into a jsonb value (per row,
 * 27 -> 18 µs on PGlite and 18 -> 15 µs on PostgreSQL).
 */
export async function insertUsageEvents(db: Database, events: UsageEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = JSON.stringify(
    events.map((e) => ({
      created_at: e.at.toISOString(),
      request_id: e.requestId ?? null,
      server_request_id: e.serverRequestId ?? null,
      user_id: e.userId ?? null,
      route: e.route ?? null,
      provider: e.provider,
      model: e.model,
      operation: e.operation,
      tokens_in: e.tokensIn,
      tokens_out: e.tokensOut,
      cached_tokens_in: e.cachedTokensIn,
      reasoning_tokens: e.reasoningTokens,
      tokens_estimated: e.tokensEstimated,
      cost_usd: e.costUsd,
      priced: e.priced,
      latency_ms: e.latencyMs,
      attempts: e.attempts,
      status: e.status,
    })),
  );
  await db.execute(sql`
    insert into usage_events (created_at, request_id, server_request_id, user_id, route, provider, model, operation,
      tokens_in, tokens_out, cached_tokens_in, reasoning_tokens, tokens_estimated, cost_usd, priced, latency_ms,
      attempts, status)
    select created_at, request_id, server_request_id, user_id, route, provider, model, operation, tokens_in,
      tokens_out, cached_tokens_in, reasoning_tokens, tokens_estimated, cost_usd, priced, latency_ms, attempts, status
    from json_to_recordset(${rows}::json) as r(created_at timestamptz, request_id text, server_request_id uuid,
      user_id text, route text, provider text, model text, operation text, tokens_in integer, tokens_out integer,
      cached_tokens_in integer, reasoning_tokens integer, tokens_estimated boolean, cost_usd numeric, priced boolean,
      latency_ms integer, attempts smallint, status text)`);
}
