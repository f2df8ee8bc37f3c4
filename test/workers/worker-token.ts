import { mintToken } from '../../src/auth/mint-token.ts';
import type { Role } from '../../src/auth/principal.ts';
import { TEST_JWT_SECRET } from '../helpers/test-secret.ts';

/** A short-lived token the Worker under test accepts (its bindings carry TEST_JWT_SECRET). */
export const workerToken = (sub: string, role: Role = 'user') =>
  mintToken({ secret: TEST_JWT_SECRET, sub, role, expiresIn: '5m' });
