import { describe, expect, it } from 'vitest';
import { addressKey, clientIp } from '../../../src/guards/rate-limit/client-address.ts';

const withForwarded = (value?: string) =>
  new Request('http://cairn.test/', { headers: value === undefined ? {} : { 'X-Forwarded-For': value } });

describe('clientIp', () => {
  it('uses the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientIp(withForwarded('203.0.113.9'), '10.0.0.1', 0)).toBe('10.0.0.1');
  });

  it('takes the entry the outermost trusted proxy appended', () => {
    const chain = withForwarded('6.6.6.6, 203.0.113.9, 10.0.0.5');
    expect(clientIp(chain, '10.0.0.1', 1)).toBe('10.0.0.5');
    expect(clientIp(chain, '10.0.0.1', 2)).toBe('203.0.113.9');
    expect(clientIp(chain, '10.0.0.1', 5)).toBe('6.6.6.6');
  });

  it('falls back to the peer when the header is absent or not an address', () => {
    expect(clientIp(withForwarded(), '10.0.0.1', 1)).toBe('10.0.0.1');
    expect(clientIp(withForwarded('<script>'), '10.0.0.1', 1)).toBe('10.0.0.1');
    expect(clientIp(withForwarded(' , '), undefined, 1)).toBeUndefined();
  });
});

describe('addressKey', () => {
  it.each([
    ['192.0.2.7', 'ip:192.0.2.7'],
    ['::ffff:192.0.2.7', 'ip:192.0.2.7'],
    ['2001:db8::1', 'ip:2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1:2:3:4', 'ip:2001:db8:0:0::/64'],
    ['2001:db8:1:2::', 'ip:2001:db8:1:2::/64'],
    ['fe80::1%eth0', 'ip:fe80:0:0:0::/64'],
    ['::1', 'ip:0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', 'ip:64:ff9b:0:0::/64'],
    [undefined, 'ip:unknown'],
  ])('%s → %s', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });

  it('keeps a malformed IPv6 address whole rather than guessing its prefix', () => {
    expect(addressKey('1::2::3')).toBe('ip:1::2::3');
  });
});
