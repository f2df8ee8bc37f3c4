import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database.ts';
import { plans } from '../../db/schema.ts';

/** The plan of a user without a subscription, and of one whose canceled or unpaid period has ended. */
export const FREE_PLAN = 'free';

/** Whether `name` is a plan admins or the billing provider may assign: a row of the `plans` table. */
export async function planExists(db: Pick<Database, 'select'>, name: string): Promise<boolean> {
  const rows = await db.select({ name: plans.name }).from(plans).where(eq(plans.name, name)).limit(1);
  return rows.length > 0;
}
