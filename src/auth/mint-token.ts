import { SignJWT } from 'jose';
import { hs256KeyId } from './hs256-keys.ts';
import type { Role } from './principal.ts';

/**
 * Signs an HS256 token for local use (the token script, the startup banner, tests), with the `kid`
 * of its secret so the verifier checks that one secret during a rotation.
 */
export async function mintToken(options: {
  secret: string;
  sub: string;
  role: Role;
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}): Promise<string> {
  let jwt = new SignJWT({ role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: await hs256KeyId(options.secret) })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
