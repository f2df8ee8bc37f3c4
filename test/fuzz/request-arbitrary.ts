import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { CRAFTED_LIST_CURSORS, ISSUABLE_LIST_CURSOR } from '../helpers/crafted-cursors.ts';
import type { FuzzParameter, FuzzTarget } from './fuzz-targets.ts';
import { hostileString, mutated, toJsonText } from './hostile-values.ts';
import { type SchemaResolver, valueFor } from './json-schema-arbitrary.ts';

/** One request as the fuzzer sends it, byte for byte. */
export interface FuzzRequest {
  method: string;
  /** The path and query string, sent verbatim (`..` and `%2F` are not normalised away). */
  target: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Declare a Content-Length shorter than the body (the rest follows as garbage on a closed connection). */
  shortContentLength?: boolean;
}

/** What the requests use that the fuzz test set up beforehand. */
export interface FuzzFixtures {
  /** Authorization values per target: its own user's and admin's tokens, so destructive routes act on their own users. */
  credentials(target: FuzzTarget): { user: string; admin: string };
  /** Credentials that must be refused or act as someone else: expired, wrongly signed, revoked, malformed, other users'. */
  otherCredentials: string[];
  /** Ids and names that exist (documents, conversations, runs, users, plans, agents, keys, jobs). */
  knownIds: string[];
  billingSecret: string;
  /** The server's origin, which the dashboard's CSRF check wants in `Origin`. */
  origin: string;
  /** A signed-in admin's dashboard session cookie and its CSRF token. */
  dashboardSession: { cookie: string; csrf: string };
}

const latin1 = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

// encodeURIComponent throws on a lone surrogate; its UTF-8 bytes (U+FFFD in its place) go instead.
const percentEncode = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

const pathSegment = (known: string[]): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.uuid() },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.constantFrom(
          '..',
          '.',
          '%2e%2e',
          '..%2F..%2Fetc',
          '%2F',
          '%00',
          '%ZZ',
          '%',
          '%F0%9F%98%80',
          '%ED%A0%80',
          '0',
          '-1',
          '2147483648',
          '99999999999999999999999',
          '1e3',
          'NaN',
          'null',
          'a'.repeat(5_000),
          "x'%20or%201=1",
          '00000000-0000-0000-0000-000000000000',
        ),
        hostileString.map((s) => percentEncode(s.slice(0, 2_000))),
      ),
    },
  );

const cursorValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(ISSUABLE_LIST_CURSOR, ...Object.values(CRAFTED_LIST_CURSORS)),
  fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url')),
  fc.string({ maxLength: 600 }),
);

const queryValue = (parameter: FuzzParameter, resolve: SchemaResolver): fc.Arbitrary<string> => {
  const valid = valueFor(parameter.schema, resolve).map((v) =>
    typeof v === 'string' ? v : JSON.stringify(v),
  );
  const edges = fc.constantFrom(
    '',
    '-1',
    '0',
    '1e9',
    '99999999999999999999',
    '1.5',
    'true',
    '[]',
    '%',
    '0x10',
  );
  const own = parameter.name === 'cursor' ? [cursorValue] : [];
  return fc.oneof(
    valid,
    edges,
    hostileString.map((s) => s.slice(0, 5_000)),
    ...own,
  );
};

/** `?a=1&a=2&b=...`: each declared parameter absent, valid, hostile or repeated, a stray one, broken escapes. */
const queryString = (parameters: FuzzParameter[], resolve: SchemaResolver): fc.Arbitrary<string> => {
  const declared = fc.tuple(
    ...parameters.map((p) =>
      fc.oneof(
        fc.constant<[string, string][]>([]),
        queryValue(p, resolve).map((v): [string, string][] => [[p.name, v]]),
        fc
          .array(queryValue(p, resolve), { minLength: 2, maxLength: 3 })
          .map((vs) => vs.map((v): [string, string] => [p.name, v])),
      ),
    ),
  );
  const stray = fc.option(
    fc.tuple(fc.constantFrom('x', '__proto__', 'limit[]', '', 'a'.repeat(3_000)), fc.string()),
  );
  // Sent as is: escapes that do not decode, empty pairs.
  const raw = fc.constantFrom('', '', '', '&%', '&limit=%ZZ', '&cursor=%E0%A4%A', '&&&', '&=', '&cursor=%00');
  return fc.tuple(declared, stray, raw).map(([params, extra, tail]) => {
    const pairs: [string, string][] = [...params.flat(), ...(extra ? [extra] : [])];
    const encoded = pairs.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
    return encoded || tail ? `?${encoded}${tail}` : '';
  });
};

/** `?a=1&b=2`: each declared parameter absent or a value its schema allows. */
const validQueryString = (parameters: FuzzParameter[], resolve: SchemaResolver): fc.Arbitrary<string> =>
  fc
    .tuple(
      ...parameters.map((p) =>
        fc.option(
          valueFor(p.schema, resolve).map(
            (v) => `${percentEncode(p.name)}=${percentEncode(typeof v === 'string' ? v : JSON.stringify(v))}`,
          ),
          { nil: undefined },
        ),
      ),
    )
    .map((pairs) => {
      const present = pairs.filter((pair) => pair !== undefined);
      return present.length > 0 ? `?${present.join('&')}` : '';
    });

const authorization = (target: FuzzTarget, fixtures: FuzzFixtures): fc.Arbitrary<string | undefined> => {
  const own = fixtures.credentials(target);
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(target.admin ? own.admin : own.user) },
    { weight: 2, arbitrary: fc.constant(target.admin ? own.user : own.admin) },
    { weight: 2, arbitrary: fc.constantFrom(...fixtures.otherCredentials) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(
          'Bearer',
          'Bearer ',
          'bearer x',
          'Basic Zm9vOmJhcg==',
          'Bearer a.b.c',
          'Bearer cairn_sk_',
        ),
        fc.string({ maxLength: 300 }).map((s) => `Bearer ${latin1(s)}`),
        fc.constant(`Bearer ${'x'.repeat(9_000)}`),
      ),
    },
  );
};

const idempotencyKey: fc.Arbitrary<string | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.uuid(),
  fc.constantFrom('', ' ', 'k', 'same-key', 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(8_000), 'ÿþ', '\t'),
  fc.string({ maxLength: 300 }).map(latin1),
);

const optionalHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    accept: fc.constantFrom(
      'application/json',
      'text/event-stream',
      '*/*',
      'text/html',
      'application/json, text/event-stream',
      'application/xml',
      '',
      'text/event-stream;q=0, */*;q=0.1',
    ),
    'x-request-id': fc.oneof(fc.uuid(), fc.string({ maxLength: 300 }).map(latin1)),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*'),
    origin: fc.constantFrom('http://127.0.0.1', 'https://evil.example', 'null'),
    cookie: fc.constantFrom('cairn_admin_session=garbage', 'a=b', `x=${'y'.repeat(4_000)}`),
  },
  { requiredKeys: [] },
);

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/merge-patch+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
];

/** A JSON body: the schema's value, mutated, or garbage; with its Content-Type (sometimes wrong). */
const jsonBody = (value: fc.Arbitrary<unknown>): fc.Arbitrary<{ type?: string; bytes: Buffer }> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: value
        .chain(mutated)
        .map((v) => ({ type: 'application/json', bytes: Buffer.from(toJsonText(v)) })),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(value, fc.constantFrom(...JSON_TYPES), fc.nat()).map(([v, type, cut]) => {
        const text = Buffer.from(toJsonText(v));
        return { type, bytes: cut % 2 === 0 ? text.subarray(0, cut % (text.length + 1)) : text };
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        type: fc.option(fc.constantFrom(...JSON_TYPES, 'application/octet-stream', ''), { nil: undefined }),
        bytes: fc
          .oneof(
            fc.constantFrom(
              '',
              '{',
              '[',
              'null',
              '1',
              '"x"',
              '{"a":}',
              '{}{}',
              '\ufeff{}',
              '{"__proto__":{"x":1}}',
            ),
            fc.string({ unit: 'binary', maxLength: 200 }),
            fc.constant(`{"x":"${'a'.repeat(1_100_000)}"}`),
          )
          .map((s) => Buffer.from(s)),
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((b) => ({ type: 'application/json', bytes: Buffer.from(b) })),
    },
  );

const multipartFile = fc.record({
  filename: fc.oneof(
    fc.constantFrom(
      'a.txt',
      'b.md',
      'c.html',
      'x.pdf',
      '',
      '../../etc/passwd',
      'no-extension',
      'a'.repeat(2_000),
    ),
    fc.string({ maxLength: 50 }).map(latin1),
  ),
  type: fc.constantFrom(
    'text/plain',
    'text/markdown',
    'text/html',
    'application/octet-stream',
    'image/png',
    '',
  ),
  content: fc.oneof(
    fc.string({ maxLength: 2_000 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)),
    fc.constant(Buffer.alloc(0)),
    fc.constant(Buffer.from('# Title\n\nSome words about chunking and retrieval.\n'.repeat(50))),
  ),
});

/**
 * A multipart form from the schema's fields and a file part; `hostile`: the fields mutated, the file
 * part missing, empty or binary now and then, odd field names, a long or empty boundary, no closing one.
 */
const multipartBody = (
  value: fc.Arbitrary<unknown>,
  hostile: boolean,
): fc.Arbitrary<{ type?: string; bytes: Buffer }> =>
  fc
    .tuple(
      hostile ? value.chain(mutated) : value,
      hostile ? fc.option(multipartFile, { freq: 5 }) : multipartFile,
      hostile
        ? fc.option(fc.constantFrom('x'.repeat(5_000), 'file', '', 'na"me', 'a\r\nb'), { freq: 4 })
        : fc.constant(null),
      hostile ? fc.constantFrom('fz0b', 'x'.repeat(80), '') : fc.constant('fz0b'),
      hostile ? fc.boolean() : fc.constant(true),
    )
    .map(([fields, file, oddName, boundary, wellFormed]) => {
      const parts: Buffer[] = [];
      const entries = typeof fields === 'object' && fields !== null ? Object.entries(fields) : [];
      for (const [name, v] of entries) {
        if (name === 'file') continue;
        const text = typeof v === 'string' ? v : toJsonText(v);
        parts.push(
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${text}\r\n`),
        );
      }
      if (oddName !== null) {
        parts.push(
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${oddName}"\r\n\r\nv\r\n`),
        );
      }
      if (file) {
        parts.push(
          Buffer.from(
            `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.filename}"\r\n${
              file.type ? `Content-Type: ${file.type}\r\n` : ''
            }\r\n`,
          ),
          file.content,
          Buffer.from('\r\n'),
        );
      }
      if (wellFormed) parts.push(Buffer.from(`--${boundary}--\r\n`));
      return { type: `multipart/form-data; boundary=${boundary}`, bytes: Buffer.concat(parts) };
    });

/** A request body for the target's declared media types, or one it does not expect. */
function bodyFor(
  target: FuzzTarget,
  resolve: SchemaResolver,
  hostile: boolean,
): fc.Arbitrary<{ type?: string; bytes: Buffer } | undefined> {
  const kinds: fc.Arbitrary<{ type?: string; bytes: Buffer } | undefined>[] = [];
  const json = target.body['application/json'];
  if (json) {
    const value = valueFor(json, resolve);
    kinds.push(
      hostile
        ? jsonBody(value)
        : value.map((v) => ({ type: 'application/json', bytes: Buffer.from(toJsonText(v)) })),
    );
  }
  const form = target.body['multipart/form-data'];
  if (form) kinds.push(multipartBody(valueFor(form, resolve), hostile));
  if (!hostile) return kinds.length > 0 ? fc.oneof(...kinds) : fc.constant(undefined);
  const stray = fc.oneof(fc.constant(undefined), jsonBody(fc.jsonValue({ maxDepth: 2 })));
  return kinds.length > 0
    ? fc.oneof({ weight: 9, arbitrary: fc.oneof(...kinds) }, { weight: 1, arbitrary: stray })
    : stray;
}

/** A JSON-RPC message for /mcp: the methods MCP clients send, with arguments from anywhere. */
const mcpMessage: fc.Arbitrary<unknown> = fc.record(
  {
    jsonrpc: fc.constantFrom('2.0', '2.0', '1.0', 2),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null)),
    method: fc.oneof(
      fc.constantFrom(
        'initialize',
        'tools/list',
        'tools/call',
        'ping',
        'resources/list',
        'prompts/get',
        'notifications/initialized',
      ),
      fc.string({ maxLength: 40 }),
    ),
    params: fc.oneof(
      fc.record({
        name: fc.oneof(
          fc.constantFrom('search_documents', 'calculator', 'http_request', 'get_time', 'delegate'),
          fc.string(),
        ),
        arguments: fc.oneof(
          fc.jsonValue({ maxDepth: 3 }),
          fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })),
        ),
      }),
      fc.record({
        protocolVersion: fc.constantFrom('2025-06-18', '2024-11-05', 'x'),
        capabilities: fc.jsonValue({ maxDepth: 2 }),
        clientInfo: fc.record({ name: fc.string(), version: fc.string() }),
      }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
  },
  { requiredKeys: ['jsonrpc', 'method'] },
);

const mcpBody = fc.oneof(
  {
    weight: 6,
    arbitrary: mcpMessage
      .chain(mutated)
      .map((m) => ({ type: 'application/json', bytes: Buffer.from(toJsonText(m)) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(mcpMessage.chain(mutated), { maxLength: 3 })
      .map((m) => ({ type: 'application/json', bytes: Buffer.from(toJsonText(m)) })),
  },
  { weight: 2, arbitrary: jsonBody(fc.jsonValue({ maxDepth: 2 })) },
);

/** A Stripe-format event, signed with the right secret over the exact bytes, or not. */
const webhookRequest = (fixtures: FuzzFixtures) =>
  fc
    .tuple(
      fc
        .record({
          id: fc.oneof(fc.constant('evt_fuzz'), fc.string({ maxLength: 40 })),
          type: fc.constantFrom(
            'customer.subscription.created',
            'customer.subscription.updated',
            'customer.subscription.deleted',
            'invoice.paid',
            'invoice.payment_failed',
            'unknown.type',
          ),
          created: fc.integer({ min: 0, max: 2 ** 32 }),
          data: fc.record({
            object: fc.record({
              id: fc.constantFrom('sub_fuzz', 'in_fuzz'),
              customer: fc.constantFrom('cus_fuzz', ''),
              status: fc.constantFrom('active', 'canceled', 'past_due', 'trialing', 'x'),
              subscription: fc.constant('sub_fuzz'),
              current_period_start: fc.integer({ min: -1, max: 2 ** 33 }),
              current_period_end: fc.integer({ min: -1, max: 2 ** 33 }),
              cancel_at_period_end: fc.boolean(),
              metadata: fc.record({ user_id: fc.oneof(fc.constant('fuzz-billing-user'), fc.string()) }),
              items: fc.record({
                data: fc.array(
                  fc.record({
                    price: fc.record({ id: fc.string(), lookup_key: fc.constantFrom('pro', 'free', 'x') }),
                  }),
                  { maxLength: 2 },
                ),
              }),
            }),
          }),
        })
        .chain(mutated),
      fc.constantFrom('valid', 'valid', 'valid', 'wrong-secret', 'stale', 'garbage', 'missing'),
      fc.string({ maxLength: 200 }).map(latin1),
    )
    .map(([event, signing, garbage]) => {
      const body = toJsonText(event);
      const now = Math.floor(Date.now() / 1000);
      const sign = (secret: string, t: number) =>
        `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
      const signature = {
        valid: sign(fixtures.billingSecret, now),
        'wrong-secret': sign('whsec_not_it', now),
        stale: sign(fixtures.billingSecret, now - 86_400),
        garbage,
        missing: undefined,
      }[signing];
      return {
        headers: {
          'content-type': 'application/json',
          ...(signature === undefined ? {} : { 'stripe-signature': signature }),
        },
        bytes: Buffer.from(body),
      };
    });

/** Dashboard forms: a signed-in admin's session and CSRF token most of the time, garbage otherwise. */
const pageRequest = (fixtures: FuzzFixtures) =>
  fc.record({
    cookie: fc.oneof(
      fc.constant(fixtures.dashboardSession.cookie),
      fc.constantFrom('', 'cairn_admin_session=x', 'cairn_admin_login=y'),
    ),
    form: fc.dictionary(
      fc.constantFrom('csrf', 'token', 'nonce', 'next', 'plan', 'status', 'x'),
      fc.oneof(
        fc.constant(fixtures.dashboardSession.csrf),
        hostileString.map((s) => s.slice(0, 3_000)),
      ),
    ),
  });

type BodyAndHeaders = { headers: Record<string, string>; bytes: Buffer | undefined };

/** The body and its headers for targets outside the document, which get inputs of their kind. */
function kindSpecificBody(
  target: FuzzTarget,
  fixtures: FuzzFixtures,
  hostile: boolean,
): fc.Arbitrary<BodyAndHeaders> | undefined {
  switch (target.kind) {
    case 'mcp': {
      const body = hostile
        ? mcpBody
        : mcpMessage.map((m) => ({ type: 'application/json', bytes: Buffer.from(toJsonText(m)) }));
      return body.map((b) => ({ headers: { 'content-type': b.type ?? '' }, bytes: b.bytes }));
    }
    case 'webhook':
      return webhookRequest(fixtures).map((r) => ({ headers: r.headers, bytes: r.bytes }));
    case 'page':
      return pageRequest(fixtures).map(({ cookie, form }) => ({
        headers: { cookie, origin: fixtures.origin, 'content-type': 'application/x-www-form-urlencoded' },
        bytes: target.method === 'POST' ? Buffer.from(new URLSearchParams(form).toString()) : undefined,
      }));
    default:
      return undefined;
  }
}

/**
 * Requests for one target. A quarter are well-formed (the target's method, known or plausible ids,
 * valid query values, the caller's own token, a body as its schema describes), so most of them reach
 * the handler and the code behind it; the rest are hostile in every part: method, path, query,
 * headers, credentials, Idempotency-Key, body, and now and then a Content-Length shorter than the body.
 */
export function requestsFor(
  target: FuzzTarget,
  resolve: SchemaResolver,
  fixtures: FuzzFixtures,
): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    { weight: 1, arbitrary: requestsOfKind(target, resolve, fixtures, false) },
    { weight: 3, arbitrary: requestsOfKind(target, resolve, fixtures, true) },
  );
}

function requestsOfKind(
  target: FuzzTarget,
  resolve: SchemaResolver,
  fixtures: FuzzFixtures,
  hostile: boolean,
): fc.Arbitrary<FuzzRequest> {
  const pathParams = target.parameters.filter((p) => p.in === 'path');
  const query = target.parameters.filter((p) => p.in === 'query');
  const segment = hostile
    ? pathSegment(fixtures.knownIds)
    : fc.oneof(fc.constantFrom(...fixtures.knownIds), fc.uuid());
  const path = fc
    .tuple(...pathParams.map(() => segment))
    .map((values) =>
      pathParams.reduce((p, param, i) => p.replace(`{${param.name}}`, values[i] ?? ''), target.path),
    );
  const bodyAndHeaders =
    kindSpecificBody(target, fixtures, hostile) ??
    bodyFor(target, resolve, hostile).map(
      (b): BodyAndHeaders => ({ headers: b?.type ? { 'content-type': b.type } : {}, bytes: b?.bytes }),
    );
  const own = fixtures.credentials(target);
  return fc
    .record({
      method: hostile
        ? fc.oneof(
            { weight: 30, arbitrary: fc.constant(target.method) },
            fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
          )
        : fc.constant(target.method),
      path,
      query: hostile ? queryString(query, resolve) : validQueryString(query, resolve),
      mcpAgent: hostile
        ? fc.option(fc.constantFrom('assistant', 'x', '', '../x', 'A'.repeat(200)), { freq: 3 })
        : fc.constant(null),
      authorization: hostile
        ? authorization(target, fixtures)
        : fc.constant(target.admin ? own.admin : own.user),
      idempotencyKey: !hostile
        ? fc.option(fc.uuid(), { nil: undefined })
        : target.idempotent
          ? idempotencyKey
          : fc.option(idempotencyKey, { freq: 10 }).map((k) => k ?? undefined),
      optional: hostile ? optionalHeaders : fc.constant({}),
      bodyAndHeaders,
      cut: hostile ? fc.integer({ min: 0, max: 30 }) : fc.constant(1),
    })
    .map((r) => {
      const headers: Record<string, string> = { ...r.optional, ...r.bodyAndHeaders.headers };
      if (target.kind === 'mcp') headers.accept ??= 'application/json, text/event-stream';
      if (r.authorization !== undefined && target.kind !== 'webhook') headers.authorization = r.authorization;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      const agent = target.kind === 'mcp' && r.mcpAgent !== null ? `?agent=${percentEncode(r.mcpAgent)}` : '';
      return {
        method: r.method,
        target: `${r.path}${target.kind === 'mcp' ? agent : r.query}`,
        headers,
        body: r.method === 'GET' || r.method === 'HEAD' ? undefined : r.bodyAndHeaders.bytes,
        shortContentLength:
          r.cut === 0 && r.bodyAndHeaders.bytes !== undefined && r.bodyAndHeaders.bytes.length > 1,
      };
    });
}
