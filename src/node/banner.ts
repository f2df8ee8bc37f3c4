import { mintToken } from '../auth/mint-token.ts';
import type { Config } from '../config/schema.ts';

/** The embedded default's welcome: where it listens, a ready admin token and a curl to try. */
export async function startupBanner(config: Config, startupMs: number): Promise<string> {
  const host = config.HOST === '0.0.0.0' ? 'localhost' : config.HOST;
  const base = `http://${host}:${config.PORT}`;
  const token = await mintToken({
    secret: config.JWT_SECRET!,
    sub: 'admin',
    role: 'admin',
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  return [
    '',
    `cairn is serving on ${base} (ready in ${Math.round(startupMs)} ms, embedded database in ${config.DATA_DIR})`,
    `  API reference: ${base}/docs`,
    '  Admin token (12 h, signed with the secret in the data folder):',
    `  export CAIRN_TOKEN=${token}`,
    `  curl -H "Authorization: Bearer $CAIRN_TOKEN" ${base}/me`,
    '  More tokens: npm run token -- --sub alice --role user',
    '',
  ].join('\n');
}
