import type { Deps } from '../../deps.ts';
import { currentScope } from '../../observability/tracing.ts';
import { chargeQuota } from './quota-store.ts';

/** Measures the model usage of work done outside a request, for one user's quotas. */
export interface QuotaMeter {
  /** Adds the tokens and cost of the model calls made since the meter started; never throws. */
  charge(): Promise<void>;
}

/**
 * Starts measuring, from the running job's scope, the model calls made for `userId` (a document's
 * ingestion embeddings): they count toward the token and cost quotas, not toward model requests.
 */
export function startQuotaMeter(
  deps: Pick<Deps, 'db' | 'config' | 'telemetry' | 'logger'>,
  userId: string,
): QuotaMeter {
  const scope = currentScope(deps.telemetry.context);
  const start = { tokens: scope?.tokens ?? 0, costUsd: scope?.costUsd ?? 0 };
  return {
    async charge() {
      if (!scope || deps.config.QUOTA_ENFORCEMENT === 'off') return;
      const tokens = scope.tokens - start.tokens;
      const costUsd = scope.costUsd - start.costUsd;
      if (tokens <= 0 && costUsd <= 0) return;
      try {
        await chargeQuota(deps.db, { userId, tokens, costUsd });
      } catch (error) {
        deps.logger.error('quota charge failed', { err: error, user_id: userId, tokens, cost_usd: costUsd });
      }
    },
  };
}
