/**
 * How an entry point finds a request's peer address: the socket on Node, CF-Connecting-IP
 * on Workers. Undefined when unknown (e.g. in-process test requests).
 */
export type ClientAddress = (request: Request, env: unknown) => string | undefined;

const plausibleIp = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The client's address. X-Forwarded-For is believed only when `trustedHops` proxies are
 * configured, and then only the entry the outermost trusted proxy appended: anything to
 * its left was written by the client and can be forged.
 */
export function clientIp(
  request: Request,
  peer: string | undefined,
  trustedHops: number,
): string | undefined {
  if (trustedHops > 0) {
    const hops = (request.headers.get('x-forwarded-for') ?? '')
      .split(',')
      .map((hop) => hop.trim())
      .filter((hop) => hop !== '');
    const candidate = hops[Math.max(hops.length - trustedHops, 0)];
    if (candidate && plausibleIp.test(candidate)) return candidate;
  }
  return peer;
}

function expandIpv6(address: string): string[] | undefined {
  const [head = '', tail, extra] = address.split('::');
  if (extra !== undefined) return undefined;
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])); // embedded IPv4 = 2 groups
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  return [...left, ...Array<string>(missing).fill('0'), ...right];
}

/**
 * The rate-limit subject for an address. An IPv6 client usually controls a whole /64,
 * so IPv6 addresses are limited per /64 prefix; IPv4 (also IPv4-mapped IPv6) per address.
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'ip:unknown';
  const address = ip.split('%')[0]!.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return `ip:${mapped[1]}`;
  if (!address.includes(':')) return `ip:${address}`;
  const groups = expandIpv6(address);
  if (!groups) return `ip:${address}`;
  return `ip:${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
