import { describe, expect, it } from 'vitest';
import { requestFingerprint } from '../../src/guards/idempotency/idempotency-key.ts';

const encoder = new TextEncoder();
const upload = (boundary: string, content: string, lineEnd = '\r\n') => ({
  method: 'POST',
  pathAndQuery: '/documents',
  contentType: `multipart/form-data; boundary="${boundary}"`,
  body: encoder.encode(
    [
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="a.txt"',
      '',
      content,
      `--${boundary}`,
      'Content-Disposition: form-data; name="title"',
      '',
      'A title',
      `--${boundary}--  `,
      '',
    ].join(lineEnd),
  ),
});

describe('multipart fingerprints cut the boundary out of delimiter lines only', () => {
  it('two uploads that differ only by the boundary string inside their content differ', async () => {
    const boundary = 'BOUNDARY123';
    const plain = await requestFingerprint(upload(boundary, 'hello world'));
    for (const content of [
      'hello BOUNDARY123world',
      'hello worldBOUNDARY123',
      'hello --BOUNDARY123 world',
      'hello world\r\n x--BOUNDARY123',
    ]) {
      expect(await requestFingerprint(upload(boundary, content)), content).not.toBe(plain);
    }
  });

  it('the same upload resent with another boundary (or bare LF line ends) matches', async () => {
    const first = await requestFingerprint(upload('----abc123', 'hello BOUNDARY123 world'));
    expect(await requestFingerprint(upload('----zzz999', 'hello BOUNDARY123 world'))).toBe(first);
    const lf = await requestFingerprint(upload('x1', 'same', '\n'));
    expect(await requestFingerprint(upload('y22222', 'same', '\n'))).toBe(lf);
  });

  it('a line that only starts with the boundary is content, not a delimiter', async () => {
    const a = await requestFingerprint(upload('B', 'x\r\n--Bfoo'));
    const b = await requestFingerprint(upload('B', 'x\r\n--foo'));
    expect(a).not.toBe(b);
  });
});
