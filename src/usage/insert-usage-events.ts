import type { Database } from '../db/database.ts';
import { usageEvents } from '../db/tables/usage.ts';
import type { UsageEvent } from './usage-sink.ts';

/** Stores a batch of usage events in one INSERT. */
export async function insertUsageEvents(db: Database, events: UsageEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.insert(usageEvents).values(
    events.map((e) => ({
      createdAt: e.at,
      requestId: e.requestId,
      userId: e.userId,
      route: e.route,
      provider: e.provider,
      model: e.model,
      operation: e.operation,
      tokensIn: e.tokensIn,
      tokensOut: e.tokensOut,
      cachedTokensIn: e.cachedTokensIn,
      reasoningTokens: e.reasoningTokens,
      tokensEstimated: e.tokensEstimated,
      costUsd: e.costUsd.toFixed(10),
      priced: e.priced,
      latencyMs: e.latencyMs,
      attempts: e.attempts,
      status: e.status,
    })),
  );
}
