import { sql } from 'drizzle-orm';
import { type AdminAction, recordAdminAction } from '../admin/admin-audit.ts';
import { evictUser } from '../auth/resolve-principal.ts';
import type { Database } from '../db/database.ts';
import { isForeignKeyViolation } from '../db/pg-errors.ts';
import { rowsOf } from '../db/rows.ts';
import type { Deps } from '../deps.ts';
import { conflict } from '../errors.ts';

/** What an erasure removed or anonymised, per kind of row. */
export interface ErasureReport {
  documents: number;
  conversations: number;
  agentRuns: number;
  agentToolCalls: number;
  apiKeys: number;
  /** Usage events kept for billing under a pseudonym instead of the user id. */
  usageEventsAnonymised: number;
  /** Subscriptions, billing events and usage records kept under the same pseudonym. */
  billingRowsAnonymised: number;
  /** Whether the user row itself existed and was deleted. */
  user: boolean;
}

// Rows deleted per transaction: each batch commits alone, so a large account never holds one
// long transaction, and an erasure cut short is finished by running it again.
const DOCUMENT_BATCH = 100;
const ROW_BATCH = 1000;

const countOf = (result: unknown) => rowsOf<{ n: number }>(result)[0]?.n ?? 0;

/**
 * Deletes the user's documents in batches; chunks and ingestion records go with them (foreign key
 * cascade), and each index version's chunk count and generation (which search caches key on) follow.
 */
async function eraseDocuments(db: Database, userId: string): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.transaction(async (tx) => {
      const ids = rowsOf<{ id: string }>(
        await tx.execute(
          sql`select id from documents where owner_id = ${userId} order by id limit ${DOCUMENT_BATCH} for update`,
        ),
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      const list = sql.join(
        ids.map((id) => sql`${id}::uuid`),
        sql`, `,
      );
      const perVersion = rowsOf<{ version: number; count: number }>(
        await tx.execute(sql`
          select index_version_id as version, count(*)::int as count from chunks
          where document_id in (${list}) group by index_version_id order by index_version_id`),
      );
      await tx.execute(sql`delete from documents where id in (${list})`);
      for (const { version, count } of perVersion) {
        await tx.execute(sql`
          update index_versions set generation = generation + 1, chunk_count = chunk_count - ${count}, updated_at = now()
          where id = ${version}`);
      }
      return ids.length;
    });
    total += deleted;
    if (deleted < DOCUMENT_BATCH) return total;
  }
}

/** Deletes `table`'s rows of the user in batches by primary key (dependents go by cascade). */
async function eraseInBatches(db: Database, table: 'conversations' | 'agent_runs', userId: string) {
  let total = 0;
  for (;;) {
    const n = countOf(
      await db.execute(sql`
        with gone as (
          delete from ${sql.identifier(table)} where id in (
            select id from ${sql.identifier(table)} where owner_id = ${userId} limit ${ROW_BATCH})
          returning 1)
        select count(*)::int as n from gone`),
    );
    total += n;
    if (n < ROW_BATCH) return total;
  }
}

/**
 * A pseudonym for an erased user's billing rows: random, so it reveals nothing of the user id
 * (a hash of a guessable id could be reversed by trying ids), and one per erasure, so all the
 * rows it replaces still add up per customer.
 */
const newPseudonym = () => `erased:${crypto.randomUUID()}`;

/**
 * Erases everything stored about a user: documents (with chunks and vectors), conversations (with
 * messages), agent runs (with traces), tool-call audit rows, API keys and the user row. Usage
 * events, subscriptions, billing events and usage records are kept for billing, their user id
 * replaced by a pseudonym. Idempotent: erasing again finds nothing. `audit` records an admin's
 * erasure in the same transaction as the final step. Admin audit rows naming the user stay: they
 * are the admins' record, not the user's data.
 */
export async function eraseUserData(
  deps: Pick<Deps, 'db' | 'usage' | 'principalCache' | 'apiKeyCache'>,
  input: { userId: string; audit?: Omit<AdminAction, 'details'> },
): Promise<ErasureReport> {
  const { db } = deps;
  const { userId } = input;
  // Usage recorded but not yet written would otherwise land after the pseudonymisation.
  await deps.usage.flush();
  const erased = { documents: 0, conversations: 0, agentRuns: 0 };
  // A document or conversation the user adds meanwhile blocks the user row's deletion (foreign
  // key): the batches run again to take it, a few times at most.
  for (let attempt = 1; ; attempt++) {
    erased.documents += await eraseDocuments(db, userId);
    erased.conversations += await eraseInBatches(db, 'conversations', userId);
    erased.agentRuns += await eraseInBatches(db, 'agent_runs', userId);
    try {
      const report = await finishErasure(db, { ...input, erased });
      evictUser(deps, userId);
      return report;
    } catch (error) {
      if (!isForeignKeyViolation(error)) throw error;
      if (attempt === MAX_ATTEMPTS) {
        throw conflict('Data was added to this account while it was being erased; erase it again.');
      }
    }
  }
}

const MAX_ATTEMPTS = 3;

/** The final step, in one transaction: small deletions, pseudonymisation, the user row, the audit row. */
async function finishErasure(
  db: Database,
  input: {
    userId: string;
    audit?: Omit<AdminAction, 'details'> | undefined;
    erased: Pick<ErasureReport, 'documents' | 'conversations' | 'agentRuns'>;
  },
): Promise<ErasureReport> {
  const { userId } = input;
  const pseudonym = newPseudonym();
  return db.transaction(async (tx) => {
    // A heavy user's usage events are many rows; this one transaction may take longer than a request's statements.
    await tx.execute(sql.raw('set local statement_timeout = 0'));
    const agentToolCalls = countOf(
      await tx.execute(
        sql`with gone as (delete from agent_tool_audit where user_id = ${userId} returning 1) select count(*)::int as n from gone`,
      ),
    );
    // The user's quota counters: billing keeps the (pseudonymised) usage events, not these. Erasing
    // thus resets the current period's counters, at the price of everything the account held.
    await tx.execute(sql`delete from quota_usage where user_id = ${userId}`);
    const apiKeys = countOf(
      await tx.execute(
        sql`with gone as (delete from api_keys where user_id = ${userId} returning 1) select count(*)::int as n from gone`,
      ),
    );
    const usageEventsAnonymised = countOf(
      await tx.execute(sql`
        with changed as (update usage_events set user_id = ${pseudonym} where user_id = ${userId} returning 1)
        select count(*)::int as n from changed`),
    );
    let billingRowsAnonymised = 0;
    for (const table of ['subscriptions', 'billing_events', 'usage_records']) {
      billingRowsAnonymised += countOf(
        await tx.execute(sql`
          with changed as (update ${sql.identifier(table)} set user_id = ${pseudonym} where user_id = ${userId} returning 1)
          select count(*)::int as n from changed`),
      );
    }
    const user =
      countOf(
        await tx.execute(
          sql`with gone as (delete from users where id = ${userId} returning 1) select count(*)::int as n from gone`,
        ),
      ) > 0;
    const result: ErasureReport = {
      ...input.erased,
      agentToolCalls,
      apiKeys,
      usageEventsAnonymised,
      billingRowsAnonymised,
      user,
    };
    if (input.audit) await recordAdminAction(tx, { ...input.audit, details: { ...result } });
    return result;
  });
}
