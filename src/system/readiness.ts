import { sql } from 'drizzle-orm';
import type { Config } from '../config/schema.ts';
import { migrationStatus } from '../db/migration-status.ts';
import { describeDatabaseFailure } from '../db/pg-errors.ts';
import type { Deps } from '../deps.ts';

interface CheckResult {
  status: 'ok' | 'fail';
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; migrations: CheckResult; llm: CheckResult };
}

class NoAnswer extends Error {}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function llmCheck(config: Config, llm: Deps['llm']): CheckResult {
  if (llm.provider === 'local') return { status: 'ok', detail: `local provider (model ${llm.chatModel})` };
  if (!config.OPENAI_API_KEY && !config.LLM_BASE_URL) {
    return { status: 'fail', detail: 'openai provider needs OPENAI_API_KEY or LLM_BASE_URL' };
  }
  return { status: 'ok', detail: `openai-compatible provider (model ${llm.chatModel})` };
}

/**
 * Whether this instance can serve traffic: database answers, migrations applied, model provider configured.
 * The details are public (no token on /ready): a database failure is named by kind and code, and
 * its full cause goes to the log, never its SQL to the response.
 */
export async function checkReadiness(
  deps: Pick<Deps, 'db' | 'config' | 'llm' | 'logger'>,
  timeoutMs = 2000,
): Promise<Readiness> {
  const failure = (check: string, error: unknown) => {
    deps.logger.warn('readiness check failed', { check, err: error });
    return error instanceof NoAnswer ? error.message : describeDatabaseFailure(error);
  };
  const database = await withTimeout(deps.db.execute(sql`select 1`), timeoutMs).then(
    (): CheckResult => ({ status: 'ok', detail: 'answers' }),
    (error): CheckResult => ({ status: 'fail', detail: failure('database', error) }),
  );
  const migrations: CheckResult =
    database.status === 'fail'
      ? { status: 'fail', detail: 'database unavailable' }
      : await withTimeout(migrationStatus(deps.db), timeoutMs).then(
          (m): CheckResult =>
            m.applied
              ? { status: 'ok', detail: `latest ${m.expected}` }
              : { status: 'fail', detail: `expected ${m.expected}, applied ${m.latestApplied ?? 'none'}` },
          (error): CheckResult => ({ status: 'fail', detail: failure('migrations', error) }),
        );
  const llm = llmCheck(deps.config, deps.llm);
  const checks = { database, migrations, llm };
  return { ready: Object.values(checks).every((c) => c.status === 'ok'), checks };
}
