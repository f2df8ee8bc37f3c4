import { AppError } from '../../errors.ts';
import type { QuotaShortfall } from './quota-store.ts';

const QUOTA_UNITS: Record<QuotaShortfall['quota'], string> = {
  model_requests_per_day: 'model requests today',
  agent_runs_per_day: 'agent runs today',
  tokens_per_month: 'tokens this period',
  cost_usd_per_month: 'USD this period',
};

/**
 * 429 `usage-quota-exhausted`: the plan's quota, not the rate limiter (`quota-exceeded`), refuses
 * the request until the quota resets. Names the quota, its limit, what is used and the reset time.
 */
export function usageQuotaExhausted(shortfall: QuotaShortfall, now: Date): AppError {
  const retryAfterS = Math.max(1, Math.ceil((shortfall.resetsAt.getTime() - now.getTime()) / 1000));
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  return new AppError({
    status: 429,
    slug: 'usage-quota-exhausted',
    title: 'Usage quota exhausted',
    detail:
      `The ${shortfall.plan} plan's ${shortfall.quota} quota is exhausted: ${round(shortfall.used)} of ` +
      `${shortfall.limit} ${QUOTA_UNITS[shortfall.quota]} used, this request needs up to ` +
      `${round(shortfall.requested)}; it resets at ${shortfall.resetsAt.toISOString()}.`,
    headers: { 'Retry-After': String(retryAfterS) },
    extensions: {
      quota: shortfall.quota,
      plan: shortfall.plan,
      limit: shortfall.limit,
      used: round(shortfall.used),
      requested: round(shortfall.requested),
      resets_at: shortfall.resetsAt.toISOString(),
    },
  });
}

/** 429 `usage-quota-exhausted` for a storage quota (documents, stored bytes), checked at upload. */
export function storageQuotaExhausted(input: {
  quota: 'documents' | 'stored_bytes';
  plan: string;
  limit: number;
  used: number;
  requested: number;
}): AppError {
  const unit = input.quota === 'documents' ? 'documents' : 'bytes stored';
  return new AppError({
    status: 429,
    slug: 'usage-quota-exhausted',
    title: 'Usage quota exhausted',
    detail:
      `The ${input.plan} plan's ${input.quota} quota is exhausted: ${input.used} of ${input.limit} ${unit} ` +
      `used, this upload needs ${input.requested} more. Delete documents to make room.`,
    extensions: { ...input, resets_at: null },
  });
}
