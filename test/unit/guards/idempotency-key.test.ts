import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors.ts';
import {
  parseIdempotencyKey,
  requestFingerprint,
  scopedKey,
} from '../../../src/guards/idempotency/idempotency-key.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('parseIdempotencyKey', () => {
  it('accepts bare keys and structured-field strings as the same key', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey(' "order:42" ')).toBe('order:42');
  });

  it.each(['', '""', 'a b', 'a"b', 'a\\b', 'é', 'k'.repeat(256)])(
    'rejects %j with a 400 pointing at the header',
    (key) => {
      try {
        parseIdempotencyKey(key);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(AppError);
        expect((error as AppError).status).toBe(400);
        expect((error as AppError).errors?.[0]?.pointer).toBe('/header/idempotency-key');
      }
    },
  );
});

describe('scopedKey', () => {
  it('differs by caller, method, route and key', async () => {
    const base = { userId: 'u', method: 'POST', path: '/analyze', key: 'k' };
    const keys = await Promise.all([
      scopedKey(base),
      scopedKey({ ...base, userId: 'v' }),
      scopedKey({ ...base, method: 'PUT' }),
      scopedKey({ ...base, path: '/chat' }),
      scopedKey({ ...base, key: 'k2' }),
      scopedKey({ ...base, userId: 'uP', method: 'OST' }),
    ]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(await scopedKey(base)).toBe(keys[0]);
  });
});

describe('requestFingerprint', () => {
  const json = {
    method: 'POST',
    pathAndQuery: '/analyze',
    contentType: 'application/json',
    body: bytes('{"a":1}'),
  };

  it('is stable for the same request and changes with body, query or media type', async () => {
    const same = await requestFingerprint({ ...json, contentType: 'application/json; charset=utf-8' });
    expect(same).toBe(await requestFingerprint(json));
    const others = await Promise.all([
      requestFingerprint({ ...json, body: bytes('{"a":2}') }),
      requestFingerprint({ ...json, pathAndQuery: '/analyze?stream=true' }),
      requestFingerprint({ ...json, contentType: 'text/plain' }),
    ]);
    expect(others).not.toContain(same);
  });

  it('ignores the random multipart boundary of a resent upload', async () => {
    const upload = (boundary: string, content: string) => ({
      method: 'POST',
      pathAndQuery: '/documents',
      contentType: `multipart/form-data; boundary=${boundary}`,
      body: bytes(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n${content}\r\n--${boundary}--\r\n`,
      ),
    });
    const first = await requestFingerprint(upload('----abc123', 'hello'));
    expect(await requestFingerprint(upload('----zzz999', 'hello'))).toBe(first);
    expect(await requestFingerprint(upload('----zzz999', 'hellO'))).not.toBe(first);
  });

  it('fingerprints uploads larger than the in-process hash limit the same way', async () => {
    const large = new Uint8Array(200 * 1024).fill(7);
    const upload = (body: Uint8Array) => ({ ...json, contentType: 'text/plain', body });
    const first = await requestFingerprint(upload(large));
    expect(await requestFingerprint(upload(large.slice()))).toBe(first);
    const changed = large.slice();
    changed[changed.length - 1] = 8;
    expect(await requestFingerprint(upload(changed))).not.toBe(first);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });
});
