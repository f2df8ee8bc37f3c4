import type { Principal } from '../auth/principal.ts';
import type { Deps } from '../deps.ts';
import type { Logger } from '../observability/logger.ts';

export type AppEnv = {
  Variables: {
    requestId: string;
    deps: Deps;
    logger: Logger;
    principal?: Principal;
  };
};
