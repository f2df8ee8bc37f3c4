import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config/load-config.ts';
import { parseRateLimitPolicies } from '../../../src/guards/rate-limit/rate-limit-policies.ts';

describe('RATE_LIMIT_POLICIES', () => {
  it('defaults every class to a burst and a sustained policy, model the tightest', () => {
    const policies = parseRateLimitPolicies(undefined);
    expect(policies.model).toEqual([
      { name: 'model-1s', limit: 10, windowS: 1 },
      { name: 'model-1m', limit: 300, windowS: 60 },
    ]);
    expect(Object.keys(policies).sort()).toEqual(['admin', 'anonymous', 'model', 'read', 'write']);
    expect(policies.model[1]!.limit).toBeLessThan(policies.read[1]!.limit);
  });

  it('overrides only the classes it names, ordering policies by window', () => {
    const policies = parseRateLimitPolicies(' read : 1000/1h , 20/10s ; anonymous:5/90s');
    expect(policies.read).toEqual([
      { name: 'read-10s', limit: 20, windowS: 10 },
      { name: 'read-1h', limit: 1000, windowS: 3600 },
    ]);
    expect(policies.anonymous).toEqual([{ name: 'anonymous-90s', limit: 5, windowS: 90 }]);
    expect(policies.model).toEqual(parseRateLimitPolicies(undefined).model);
  });

  it.each([
    ['model=10/1s', 'must start with one of'],
    ['bogus:10/1s', 'must start with one of'],
    ['model:10 per second', 'is not <limit>/<n><s|m|h|d>'],
    ['model:0/1s', 'at least 1'],
    ['model:10/8d', '1s to 7d'],
    ['model:10/60s,20/1m', 'same window'],
  ])('rejects %j', (text, message) => {
    expect(() => parseRateLimitPolicies(text)).toThrow(message);
  });

  it('stops startup naming the setting', () => {
    expect(() => loadConfig({ RATE_LIMIT_POLICIES: 'model:ten/1s' })).toThrow(ConfigError);
    try {
      loadConfig({ RATE_LIMIT_POLICIES: 'model:ten/1s' });
    } catch (error) {
      expect((error as ConfigError).settings).toEqual(['RATE_LIMIT_POLICIES']);
    }
  });
});
