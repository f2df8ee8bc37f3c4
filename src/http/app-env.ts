import type { Principal } from '../auth/principal.ts';
import type { Deps } from '../deps.ts';
import type { ModelCallReport } from '../gateway/model-call-headers.middleware.ts';
import type { Logger } from '../observability/logger.ts';

interface AppVariables {
  requestId: string;
  deps: Deps;
  logger: Logger;
  principal?: Principal;
  /** Set by gateway handlers for the cost and overhead response headers. */
  modelCall?: ModelCallReport;
}

/** The context every request carries, set by the app-wide middleware. */
export type AppEnv = { Variables: AppVariables };

/** The context of a handler behind guarded(): authentication has set `principal`. */
export type AuthedEnv = { Variables: AppVariables & { principal: Principal } };
