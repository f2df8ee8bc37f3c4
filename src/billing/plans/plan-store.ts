import { eq, getTableColumns } from 'drizzle-orm';
import { recordAdminAction } from '../../admin/admin-audit.ts';
import { plans } from '../../db/schema.ts';
import type { Deps } from '../../deps.ts';
import { conflict, notFound } from '../../errors.ts';
import { keysetPage, type Page, type PageRequest } from '../../http/pagination.ts';

/** A plan's quotas; null: unlimited. */
export interface PlanQuotas {
  modelRequestsPerDay: number | null;
  tokensPerMonth: number | null;
  costUsdPerMonth: number | null;
  agentRunsPerDay: number | null;
  documents: number | null;
  storedBytes: number | null;
}

export interface Plan extends PlanQuotas {
  name: string;
  description: string;
  createdAt: Date;
  updatedAt: Date;
}

type PlanRow = typeof plans.$inferSelect;

const toPlan = (row: PlanRow): Plan => ({
  ...row,
  costUsdPerMonth: row.costUsdPerMonth === null ? null : Number(row.costUsdPerMonth),
});

// The numeric column takes the cost as text: exact, whatever the float.
const costColumn = (cost: number | null | undefined) =>
  cost === undefined ? undefined : cost === null ? null : String(cost);

/** Who changes a plan, for the admin audit row written with the change. */
interface Actor {
  actorId: string;
  requestId?: string | undefined;
}

/** Every plan, newest first (keyset pages; a handful of rows in practice). */
export function listPlans(deps: Pick<Deps, 'db'>, page: PageRequest): Promise<Page<Plan>> {
  return keysetPage(
    page,
    { timestamp: plans.createdAt, id: plans.name, idType: 'text' },
    (keyset) =>
      deps.db
        .select({ ...getTableColumns(plans), id: plans.name, sortKey: keyset.sortKey })
        .from(plans)
        .where(keyset.after)
        .orderBy(...keyset.orderBy)
        .limit(keyset.limit),
    ({ id: _id, sortKey: _sortKey, ...row }) => toPlan(row),
  );
}

export async function getPlan(deps: Pick<Deps, 'db'>, name: string): Promise<Plan | undefined> {
  const [row] = await deps.db.select().from(plans).where(eq(plans.name, name));
  return row && toPlan(row);
}

/** Creates a plan; 409 when one has that name. Audited as `plan.create`. */
export async function createPlan(
  deps: Pick<Deps, 'db'>,
  input: Actor & { name: string; description: string; quotas: PlanQuotas },
): Promise<Plan> {
  return deps.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(plans)
      .values({
        name: input.name,
        description: input.description,
        ...input.quotas,
        costUsdPerMonth: costColumn(input.quotas.costUsdPerMonth),
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict(`A plan named ${input.name} already exists.`);
    const plan = toPlan(row);
    await recordAdminAction(tx, {
      actorId: input.actorId,
      action: 'plan.create',
      target: `plan:${plan.name}`,
      details: { after: auditView(plan) },
      requestId: input.requestId,
    });
    return plan;
  });
}

/**
 * Changes a plan's description or quotas (only the fields given; null makes a quota unlimited).
 * Takes effect on the next request of every user on the plan. Audited as `plan.update` with the
 * values before and after.
 */
export async function updatePlan(
  deps: Pick<Deps, 'db'>,
  input: Actor & { name: string; description?: string | undefined; quotas: Partial<PlanQuotas> },
): Promise<Plan> {
  return deps.db.transaction(async (tx) => {
    const [current] = await tx.select().from(plans).where(eq(plans.name, input.name)).for('update');
    if (!current) throw notFound(`No plan ${input.name}.`);
    const [row] = await tx
      .update(plans)
      .set({
        ...input.quotas,
        costUsdPerMonth: costColumn(input.quotas.costUsdPerMonth),
        ...(input.description === undefined ? {} : { description: input.description }),
        updatedAt: new Date(),
      })
      .where(eq(plans.name, input.name))
      .returning();
    const before = toPlan(current);
    const after = toPlan(row ?? current);
    await recordAdminAction(tx, {
      actorId: input.actorId,
      action: 'plan.update',
      target: `plan:${input.name}`,
      details: { before: auditView(before), after: auditView(after) },
      requestId: input.requestId,
    });
    return after;
  });
}

const auditView = (plan: Plan) => ({
  description: plan.description,
  model_requests_per_day: plan.modelRequestsPerDay,
  tokens_per_month: plan.tokensPerMonth,
  cost_usd_per_month: plan.costUsdPerMonth,
  agent_runs_per_day: plan.agentRunsPerDay,
  documents: plan.documents,
  stored_bytes: plan.storedBytes,
});
