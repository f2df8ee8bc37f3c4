// `npm run token -- --sub alice [--role admin] [--expires 12h]`: prints a JWT for the configured secret
// (JWT_SECRET, or the embedded default's secret in DATA_DIR, created if missing).
import { parseArgs } from 'node:util';
import { mintToken } from '../src/auth/mint-token.ts';
import { roles } from '../src/auth/principal.ts';
import { ConfigError, loadConfig } from '../src/config/load-config.ts';
import { ensureJwtSecret } from '../src/node/jwt-secret.ts';

const { values } = parseArgs({
  options: {
    sub: { type: 'string' },
    role: { type: 'string', default: 'user' },
    expires: { type: 'string', default: '12h' },
  },
});

try {
  const config = loadConfig(process.env);
  const role = values.role as (typeof roles)[number];
  if (!values.sub) throw new Error('--sub is required, e.g. npm run token -- --sub alice --role admin');
  if (!roles.includes(role)) throw new Error(`--role must be one of ${roles.join(', ')}`);
  if (!config.JWT_SECRET && config.JWT_JWKS_URL)
    throw new Error('JWT_JWKS_URL is set: tokens come from your identity provider.');
  const secret = config.JWT_SECRET ?? (await ensureJwtSecret(config.DATA_DIR)).secret;
  const token = await mintToken({
    secret,
    sub: values.sub,
    role,
    expiresIn: values.expires,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  process.stdout.write(`${token}\n`);
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof Error ? error.message : error);
  process.exit(1);
}
