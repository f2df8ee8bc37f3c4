import { describe, expect, it } from 'vitest';
import { isPrivateAddress, parseIpLiteral } from '../../../src/agents/tools/http/address-policy.ts';
import { matchAllowedHost, parseAllowedHosts } from '../../../src/agents/tools/http/allowed-hosts.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { TEST_JWT_SECRET } from '../../helpers/test-secret.ts';

describe('parseAllowedHosts', () => {
  it('parses names, wildcards, ports and IP literals, normalised as URL.hostname spells them', () => {
    expect(
      parseAllowedHosts(' API.Example.com, *.example.org ,127.0.0.1:4010,[::1]:8080, bücher.de:443,,'),
    ).toEqual([
      { hostname: 'api.example.com', port: undefined, wildcard: false, ipLiteral: false },
      { hostname: 'example.org', port: undefined, wildcard: true, ipLiteral: false },
      { hostname: '127.0.0.1', port: 4010, wildcard: false, ipLiteral: true },
      { hostname: '[::1]', port: 8080, wildcard: false, ipLiteral: true },
      { hostname: 'xn--bcher-kva.de', port: 443, wildcard: false, ipLiteral: false },
    ]);
    expect(parseAllowedHosts(undefined)).toEqual([]);
    expect(parseAllowedHosts('')).toEqual([]);
    // Every IPv4 spelling URL accepts is the address it reaches.
    expect(parseAllowedHosts('0x7f.1:80')).toEqual([
      { hostname: '127.0.0.1', port: 80, wildcard: false, ipLiteral: true },
    ]);
  });

  it.each([
    'http://api.example.com',
    'api.example.com/path',
    'user:pass@api.example.com',
    'user@api.example.com',
    'api.example.com?x=1',
    'api.example.com#x',
    'api.*.com',
    '*example.com',
    '*',
    '*.com',
    '*.127.0.0.1',
    '*.[::1]',
    '::1',
    '[::1',
    '[not-v6]',
    'example.com:0',
    'example.com:65536',
    'example.com:123456',
    'example.com:',
    'example.com:http',
    'exa mple.com',
    'a.123',
    '1.2.3.4.5',
  ])('refuses %s with a message naming the entry', (entry) => {
    expect(() => parseAllowedHosts(`api.ok.com, ${entry}`)).toThrow(/AGENT_HTTP_ALLOWED_HOSTS: ".*"/);
  });

  it('is what the config setting holds, and a bad entry is a config error', () => {
    const config = loadConfig({
      JWT_SECRET: TEST_JWT_SECRET,
      AGENT_HTTP_ALLOWED_HOSTS: 'api.example.com:8443',
    });
    expect(config.AGENT_HTTP_ALLOWED_HOSTS).toEqual([
      { hostname: 'api.example.com', port: 8443, wildcard: false, ipLiteral: false },
    ]);
    expect(() => loadConfig({ JWT_SECRET: TEST_JWT_SECRET, AGENT_HTTP_ALLOWED_HOSTS: 'http://x' })).toThrow(
      /AGENT_HTTP_ALLOWED_HOSTS/,
    );
  });
});

describe('matchAllowedHost', () => {
  const allowed = parseAllowedHosts(
    'api.example.com, *.example.org, 127.0.0.1:4010, [::1]:8080, pinned.example.net:443',
  );
  const match = (url: string) => matchAllowedHost(new URL(url), allowed)?.hostname;

  it('matches exact names on any port when the entry has none', () => {
    expect(match('https://api.example.com/v1')).toBe('api.example.com');
    expect(match('http://API.EXAMPLE.COM:8080/')).toBe('api.example.com');
    expect(match('https://other.example.com/')).toBeUndefined();
    expect(match('https://api.example.com.evil.test/')).toBeUndefined();
    expect(match('https://evilapi.example.com/')).toBeUndefined();
  });

  it('matches subdomains only for a wildcard', () => {
    expect(match('https://a.example.org/')).toBe('example.org');
    expect(match('https://a.b.example.org/')).toBe('example.org');
    expect(match('https://example.org/')).toBeUndefined();
    expect(match('https://evilexample.org/')).toBeUndefined();
  });

  it('requires the port when the entry names one, the scheme default counting', () => {
    expect(match('http://127.0.0.1:4010/')).toBe('127.0.0.1');
    expect(match('http://127.0.0.1:4011/')).toBeUndefined();
    expect(match('http://127.0.0.1/')).toBeUndefined();
    expect(match('http://[::1]:8080/')).toBe('[::1]');
    expect(match('http://[::1]:8081/')).toBeUndefined();
    expect(match('https://pinned.example.net/')).toBe('pinned.example.net');
    expect(match('https://pinned.example.net:443/')).toBe('pinned.example.net');
    expect(match('http://pinned.example.net/')).toBeUndefined();
  });

  it('sees IPv4 spellings as the address they reach', () => {
    expect(match('http://2130706433:4010/')).toBe('127.0.0.1');
    expect(match('http://0x7f.0.0.1:4010/')).toBe('127.0.0.1');
    expect(match('http://0177.0.0.1:4010/')).toBe('127.0.0.1');
    expect(match('http://127.1:4010/')).toBe('127.0.0.1');
    expect(match('http://[0:0:0:0:0:0:0:1]:8080/')).toBe('[::1]');
  });

  it('matches nothing when nothing is allowed', () => {
    expect(matchAllowedHost(new URL('https://api.example.com/'), [])).toBeUndefined();
  });
});

describe('isPrivateAddress', () => {
  it.each([
    // IPv4
    '0.0.0.0',
    '0.255.1.2',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.0.1',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.1',
    '192.0.0.170',
    '192.0.2.10',
    '192.168.0.1',
    '192.168.255.255',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    // IPv6
    '::',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    'fc00::1',
    'fd12:3456::1',
    'fd00:ec2::254',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'fec0::1',
    'ff02::1',
    'ff05::1:3',
    // IPv4 inside IPv6
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::FFFF:7F00:0001',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '::ffff:10.1.2.3',
    '::127.0.0.1',
    '::7f00:1',
    '::ffff:0:127.0.0.1',
    '64:ff9b::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '64:ff9b:1::8.8.8.8',
    '2002:7f00:1::1',
    '2002:c0a8:101::1',
    '2001::1',
    '2001:db8::1',
    '100::1',
    // Not an address: fails closed.
    '',
    'localhost',
    '1.2.3',
    '256.1.1.1',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    'gggg::1',
  ])('%s is private', (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });

  it.each([
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '126.255.255.255',
    '128.0.0.1',
    '169.253.255.255',
    '169.255.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '192.0.1.1',
    '192.167.255.255',
    '192.169.0.1',
    '198.17.255.255',
    '198.20.0.1',
    '223.255.255.255',
    '93.184.216.34',
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '[2606:4700:4700::1111]',
    '2a00:1450:4001:81c::200e',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    'fbff::1',
  ])('%s is public', (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
});

describe('parseIpLiteral', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1', 4],
    ['2130706433', '127.0.0.1', 4],
    ['0x7f.1', '127.0.0.1', 4],
    ['0x7f000001', '127.0.0.1', 4],
    ['0177.0.0.1', '127.0.0.1', 4],
    ['127.1', '127.0.0.1', 4],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254', 4],
    ['2852039166', '169.254.169.254', 4],
    ['[::1]', '::1', 6],
    ['::1', '::1', 6],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1', 6],
    ['[0:0:0:0:0:0:0:1]', '::1', 6],
  ])('%s is the address %s', (host, address, family) => {
    expect(parseIpLiteral(host)).toEqual({ address, family });
  });

  it('leaves names alone', () => {
    expect(parseIpLiteral('example.com')).toBeUndefined();
    expect(parseIpLiteral('localhost')).toBeUndefined();
    expect(parseIpLiteral('1.2.3.4.example')).toBeUndefined();
    expect(parseIpLiteral('a.123')).toBeUndefined();
  });

  it('agrees with URL normalisation, which every request URL has been through', () => {
    for (const spelling of ['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '0x7f.0.0.1', '017700000001']) {
      const url = new URL(`http://${spelling}/`);
      expect(url.hostname).toBe('127.0.0.1');
      expect(isPrivateAddress(parseIpLiteral(url.hostname)!.address)).toBe(true);
    }
    const mapped = new URL('http://[::ffff:127.0.0.1]/');
    expect(mapped.hostname).toBe('[::ffff:7f00:1]');
    expect(isPrivateAddress(parseIpLiteral(mapped.hostname)!.address)).toBe(true);
    const metadata = new URL('http://0251.0376.0251.0376/');
    expect(metadata.hostname).toBe('169.254.169.254');
  });
});
