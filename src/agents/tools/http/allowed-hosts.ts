import { parseIpLiteral } from './address-policy.ts';

/** One entry of AGENT_HTTP_ALLOWED_HOSTS, normalised as `URL.hostname` spells hosts. */
export interface AllowedHost {
  /** Lower-case (IDNA `xn--` form for international names); IPv6 in brackets, as in URLs. */
  hostname: string;
  /** Only this port when set; any port when undefined. */
  port: number | undefined;
  /** `*.example.com`: any subdomain of `hostname`, not `hostname` itself. */
  wildcard: boolean;
  /** The entry names an IP address: the operator consented to it, private or not. */
  ipLiteral: boolean;
}

// host, optionally `*.`-prefixed, then an optional port; IPv6 in brackets.
const ENTRY = /^(\*\.)?(\[[0-9A-Fa-f:.]+\]|[^:[\]/\\@?#*\s]+)(?::(\d{1,5}))?$/;

/**
 * Parses AGENT_HTTP_ALLOWED_HOSTS: comma-separated `api.example.com`, `*.example.com`,
 * `127.0.0.1:4010`, `[::1]:8080`. Throws on an entry that is not one of these shapes (a scheme,
 * a path, credentials, a wildcard that is not a leading `*.` on a domain name).
 */
export function parseAllowedHosts(value: string | undefined): AllowedHost[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseEntry);
}

function parseEntry(entry: string): AllowedHost {
  const bad = (why: string) =>
    new Error(
      `AGENT_HTTP_ALLOWED_HOSTS: "${entry}" ${why} (expected host, *.domain, host:port or [v6]:port)`,
    );
  const match = ENTRY.exec(entry);
  if (!match) throw bad('is not a host name with an optional port');
  const [, star, host = '', portText] = match;
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    throw bad('is not a valid host name');
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65_535)) throw bad('has a port outside 1..65535');
  const ipLiteral = parseIpLiteral(hostname) !== undefined;
  const wildcard = star !== undefined;
  if (wildcard && ipLiteral) throw bad('puts a wildcard on an IP address');
  // `*.com` would allow a whole top-level domain: surely a mistake.
  if (wildcard && !hostname.includes('.')) throw bad('puts a wildcard on a top-level domain');
  return { hostname, port, wildcard, ipLiteral };
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

/**
 * The allowlist entry a URL's host matches, if any. `URL.hostname` is already normalised (case,
 * IDNA, every IPv4 spelling), so hosts compare as strings; an entry's port, when it has one,
 * must equal the URL's port (the scheme's default when the URL names none).
 */
export function matchAllowedHost(url: URL, allowed: readonly AllowedHost[]): AllowedHost | undefined {
  const hostname = url.hostname;
  const port = url.port === '' ? DEFAULT_PORTS[url.protocol] : Number(url.port);
  return allowed.find((entry) => {
    if (entry.port !== undefined && entry.port !== port) return false;
    return entry.wildcard ? hostname.endsWith(`.${entry.hostname}`) : hostname === entry.hostname;
  });
}
