/**
 * Which addresses the http_request tool may not reach unless the operator named them: loopback,
 * private, link-local (cloud metadata), shared, reserved and multicast ranges, in IPv4 and IPv6,
 * including IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4).
 */

// [first address as a 32-bit number, prefix length]
const PRIVATE_V4: readonly (readonly [number, number])[] = [
  [v4(0, 0, 0, 0), 8], // "this network"
  [v4(10, 0, 0, 0), 8], // private (RFC 1918)
  [v4(100, 64, 0, 0), 10], // shared address space, carrier-grade NAT (RFC 6598)
  [v4(127, 0, 0, 0), 8], // loopback
  [v4(169, 254, 0, 0), 16], // link-local, where cloud metadata lives (169.254.169.254)
  [v4(172, 16, 0, 0), 12], // private (RFC 1918)
  [v4(192, 0, 0, 0), 24], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24], // documentation (RFC 5737)
  [v4(192, 168, 0, 0), 16], // private (RFC 1918)
  [v4(198, 18, 0, 0), 15], // benchmarking (RFC 2544)
  [v4(198, 51, 100, 0), 24], // documentation
  [v4(203, 0, 113, 0), 24], // documentation
  [v4(224, 0, 0, 0), 4], // multicast
  [v4(240, 0, 0, 0), 4], // reserved, and the broadcast address 255.255.255.255
];

function v4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

const inV4Range = (address: number, [first, prefix]: readonly [number, number]) =>
  prefix === 0 || address >>> (32 - prefix) === first >>> (32 - prefix);

/** The address as a 32-bit number, for the dotted-quad form only (`a.b.c.d`, each 0..255). */
function parseV4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const byte = Number(part);
    if (byte > 255) return undefined;
    value = value * 256 + byte;
  }
  return value;
}

/** The eight 16-bit groups of an IPv6 address (`::` shorthand and a dotted IPv4 tail allowed). */
function parseV6(text: string): number[] | undefined {
  let body = text;
  const tail: number[] = [];
  if (body.includes('.')) {
    const lastColon = body.lastIndexOf(':');
    const embedded = lastColon === -1 ? undefined : parseV4(body.slice(lastColon + 1));
    if (embedded === undefined) return undefined;
    tail.push(embedded >>> 16, embedded & 0xffff);
    // `::1.2.3.4` leaves `::`; `::ffff:1.2.3.4` leaves `::ffff`.
    body = body.slice(0, lastColon + 1);
    if (!body.endsWith('::')) body = body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const split = (half: string | undefined) => (half ? half.split(':') : []);
  const head = split(halves[0]);
  const end = split(halves[1]);
  if (![...head, ...end].every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  const explicit = head.length + end.length + tail.length;
  // `::` stands for at least one group of zeros.
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return undefined;
  const zeros = new Array<number>(8 - explicit).fill(0);
  return [...head.map(hex), ...zeros, ...end.map(hex), ...tail];
}

const hex = (group: string) => Number.parseInt(group, 16);

const isPrivateV4 = (address: number) => PRIVATE_V4.some((range) => inV4Range(address, range));

function isPrivateV6(groups: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const embeddedV4 = ((g6 << 16) | g7) >>> 0;
  const zeroTo = (n: number) => groups.slice(0, n).every((g) => g === 0);
  // ::/96 holds the unspecified address (::), loopback (::1) and the deprecated IPv4-compatible
  // form (::a.b.c.d); ::ffff:0:0/96 is IPv4-mapped. Both reach the embedded IPv4 address.
  if (zeroTo(6)) return embeddedV4 <= 1 || isPrivateV4(embeddedV4);
  if (zeroTo(5) && g5 === 0xffff) return isPrivateV4(embeddedV4);
  // ::ffff:0:a.b.c.d (SIIT, RFC 6052 predecessor).
  if (zeroTo(4) && g4 === 0xffff && g5 === 0) return isPrivateV4(embeddedV4);
  // 64:ff9b::/96, NAT64 well-known prefix: the gateway connects to the embedded IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return isPrivateV4(embeddedV4);
  }
  // 64:ff9b:1::/48, local-use NAT64 (RFC 8215).
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true;
  // 2002::/16, 6to4: the IPv4 address sits in groups 1 and 2.
  if (g0 === 0x2002) return isPrivateV4(((g1 << 16) | g2) >>> 0);
  // 2001::/32 Teredo (the IPv4 address is obfuscated inside) and 2001:db8::/32 documentation.
  if (g0 === 0x2001 && (g1 === 0 || g1 === 0xdb8)) return true;
  // 100::/64, discard-only.
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return true;
  // fc00::/7 unique local (includes fd00:ec2::254, AWS metadata), fe80::/10 link-local,
  // fec0::/10 deprecated site-local, ff00::/8 multicast.
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0 || g0 >= 0xff00;
}

/**
 * True when the address is not a public unicast address: what the http_request tool refuses to
 * connect to unless the operator allowlisted it as an IP literal. Takes an IPv4 dotted quad or an
 * IPv6 address, bracketed or not, with or without a zone (`%eth0`). Anything it cannot parse is
 * treated as private: the check fails closed.
 */
export function isPrivateAddress(ip: string): boolean {
  let text = ip.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const asV4 = parseV4(text);
  if (asV4 !== undefined) return isPrivateV4(asV4);
  const asV6 = text.includes(':') ? parseV6(text) : undefined;
  if (asV6 !== undefined) return isPrivateV6(asV6);
  return true;
}

export interface IpLiteral {
  /** The address without brackets, as a socket is given it. */
  address: string;
  family: 4 | 6;
}

/**
 * The IP address a URL host names literally, or undefined for a domain name. The host is first
 * normalised as WHATWG URL parsing does, so every IPv4 spelling URL accepts (`2130706433`,
 * `0x7f.1`, `0177.0.0.1`, `127.1`) comes out as the dotted quad it reaches; `URL.hostname` is
 * already in that form. IPv6 literals are bracketed in URLs (`[::1]`); a bare one is accepted too.
 */
export function parseIpLiteral(hostname: string): IpLiteral | undefined {
  const bracketed = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
  let normalised: string;
  try {
    normalised = new URL(`http://${bracketed}/`).hostname;
  } catch {
    return undefined;
  }
  if (normalised.startsWith('[') && normalised.endsWith(']')) {
    const address = normalised.slice(1, -1);
    return parseV6(address) ? { address, family: 6 } : undefined;
  }
  return parseV4(normalised) === undefined ? undefined : { address: normalised, family: 4 };
}
