import { type SQL, sql } from 'drizzle-orm';
import { rowsOf } from '../db/rows.ts';
import type { Deps } from '../deps.ts';

/** Rows each retention rule deleted in one sweep. */
export interface RetentionReport {
  usageEvents: number;
  httpRequestStats: number;
  messages: number;
  conversations: number;
  agentRuns: number;
  agentToolAudit: number;
  adminAudit: number;
}

const deleted = (result: unknown) => rowsOf<{ n: number }>(result)[0]?.n ?? 0;

/**
 * Deletes at most `limit` rows of `table` matching `where`, oldest first along `order` (an indexed
 * column, so the scan stops after `limit` matches), and says how many.
 */
async function deleteBatch(
  deps: Pick<Deps, 'db'>,
  table: string,
  where: SQL,
  order: string,
  limit: number,
): Promise<number> {
  const t = sql.identifier(table);
  return deleted(
    await deps.db.execute(sql`
      with gone as (
        delete from ${t} where id in (select id from ${t} where ${where} order by ${sql.identifier(order)} limit ${limit})
        returning 1)
      select count(*)::int as n from gone`),
  );
}

const olderThan = (column: string, days: number) =>
  sql`${sql.identifier(column)} < now() - make_interval(days => ${days})`;

/**
 * One retention sweep, run by the maintenance of both runtimes (the Node consumer's, the Workers
 * cron): for each RETENTION_*_DAYS set above 0, deletes at most RETENTION_BATCH_SIZE rows older
 * than it, so a sweep stays short and a backlog drains over the following ones. Traces are
 * exported over OTLP, never stored here; what is stored of an agent run's steps (its trace and
 * summaries) goes with the run.
 */
async function sweepRetention(deps: Pick<Deps, 'db' | 'config' | 'logger'>): Promise<RetentionReport> {
  const { config } = deps;
  const limit = config.RETENTION_BATCH_SIZE;
  const report: RetentionReport = {
    usageEvents: 0,
    httpRequestStats: 0,
    messages: 0,
    conversations: 0,
    agentRuns: 0,
    agentToolAudit: 0,
    adminAudit: 0,
  };
  const days = {
    usage: config.RETENTION_USAGE_EVENTS_DAYS,
    messages: config.RETENTION_MESSAGES_DAYS,
    runs: config.RETENTION_AGENT_RUNS_DAYS,
    audit: config.RETENTION_AUDIT_DAYS,
  };
  // Identity ids grow with time: ordering by id walks the primary key from the oldest rows.
  if (days.usage > 0) {
    report.usageEvents = await deleteBatch(
      deps,
      'usage_events',
      olderThan('created_at', days.usage),
      'id',
      limit,
    );
    // Per-minute request counts go with the usage they sit beside; keyed by minute, no id.
    report.httpRequestStats = deleted(
      await deps.db.execute(sql`
        with gone as (
          delete from http_request_stats where ctid in (
            select ctid from http_request_stats where ${olderThan('minute', days.usage)} order by minute limit ${limit})
          returning 1)
        select count(*)::int as n from gone`),
    );
  }
  if (days.messages > 0) {
    report.messages = await deleteBatch(
      deps,
      'messages',
      olderThan('created_at', days.messages),
      'id',
      limit,
    );
    // A conversation left without messages and idle as long goes too.
    report.conversations = await deleteBatch(
      deps,
      'conversations',
      sql`${olderThan('updated_at', days.messages)} and not exists (select 1 from messages m where m.conversation_id = conversations.id)`,
      'updated_at',
      limit,
    );
  }
  if (days.runs > 0) {
    // Runs paused for approval are kept: their owner may still resume them.
    report.agentRuns = await deleteBatch(
      deps,
      'agent_runs',
      sql`status = 'finished' and ${olderThan('created_at', days.runs)}`,
      'created_at',
      limit,
    );
  }
  if (days.audit > 0) {
    report.agentToolAudit = await deleteBatch(
      deps,
      'agent_tool_audit',
      olderThan('created_at', days.audit),
      'created_at',
      limit,
    );
    report.adminAudit = await deleteBatch(
      deps,
      'admin_audit',
      olderThan('created_at', days.audit),
      'created_at',
      limit,
    );
  }
  const total = Object.values(report).reduce((a, b) => a + b, 0);
  if (total > 0) deps.logger.info('retention sweep', { ...report });
  return report;
}

/** The maintenance step: a sweep whose failure is logged, never stopping the rest of maintenance. */
export async function retentionMaintenance(
  deps: Pick<Deps, 'db' | 'config' | 'logger'>,
): Promise<RetentionReport | undefined> {
  try {
    return await sweepRetention(deps);
  } catch (error) {
    deps.logger.error('retention sweep failed', { err: error });
    return undefined;
  }
}
