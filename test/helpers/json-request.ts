import { type RouteConfig, z } from '@hono/zod-openapi';

/** A JSON POST for `t.as(...)`, `t.request(...)` or the workerd client, with optional extra headers. */
export const postJson = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** A JSON response body, typed by the caller: `readJson<z.output<typeof someSchema>>(res)`. */
export const readJson = <T>(response: Response): Promise<T> => response.json() as Promise<T>;

type Responses<R extends RouteConfig> = R['responses'];
/** The statuses a route declares, as numbers (spread shared responses declare them as "400"). */
type StatusOf<R extends RouteConfig> = {
  [K in keyof Responses<R>]: K extends number ? K : K extends `${infer N extends number}` ? N : never;
}[keyof Responses<R>];
type DeclaredAt<R extends RouteConfig, S extends number> = S extends keyof Responses<R>
  ? Responses<R>[S]
  : `${S}` extends keyof Responses<R>
    ? Responses<R>[`${S}`]
    : never;
type SchemaOutput<E> = E extends { schema: infer Schema extends z.ZodType } ? z.output<Schema> : never;
// JSON when the status declares it (a streaming route also declares text/event-stream), else its one type.
type BodyOf<D> = D extends { content: infer C }
  ? 'application/json' extends keyof C
    ? SchemaOutput<C['application/json']>
    : SchemaOutput<C[keyof C]>
  : never;

/**
 * Asserts the status, checks the body against the schema `route` declares for it (JSON or
 * problem+json) and returns it typed from that schema: `const page = await readBody(res, searchRoute, 200)`.
 * The body is returned as sent, so fields the schema does not declare still fail a `toEqual`.
 */
export async function readBody<R extends RouteConfig, S extends StatusOf<R>>(
  response: Response,
  route: R,
  status: S,
): Promise<BodyOf<DeclaredAt<R, S>>> {
  const text = await response.text();
  const where = `${route.method.toUpperCase()} ${route.path}`;
  if (response.status !== status)
    throw new Error(`expected ${status} from ${where}, got ${response.status}: ${text}`);
  const responses = route.responses as Record<string, { content?: Record<string, { schema?: unknown }> }>;
  const content = responses[String(status)]?.content ?? {};
  const type = response.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
  const schema = content[type]?.schema;
  if (!(schema instanceof z.ZodType)) throw new Error(`${where} declares no ${type} schema for ${status}`);
  const body: unknown = JSON.parse(text);
  schema.parse(body);
  return body as BodyOf<DeclaredAt<R, S>>;
}
