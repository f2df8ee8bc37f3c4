import { SignJWT } from 'jose';
import type { Role } from './principal.ts';

/** Signs an HS256 token for local use (the token script, the startup banner, tests). */
export async function mintToken(options: {
  secret: string;
  sub: string;
  role: Role;
  expiresIn?: string;
  issuer?: string;
  audience?: string;
}): Promise<string> {
  let jwt = new SignJWT({ role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
