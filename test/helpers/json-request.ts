import { type RouteConfig, z } from '@hono/zod-openapi';

/** A JSON POST for `t.as(...)`, `t.request(...)` or the workerd client, with optional extra headers. */
export const postJson = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** A JSON response body, typed by the caller: `readJson<z.output<typeof someSchema>>(res)`. */
export const readJson = <T>(response: Response): Promise<T> => response.json() as Promise<T>;

type JsonBodyOf<R extends RouteConfig, S extends keyof R['responses']> = R['responses'][S] extends {
  content: { 'application/json': { schema: infer Schema extends z.ZodType } };
}
  ? z.output<Schema>
  : never;

/**
 * Asserts the status and returns the body parsed by the JSON schema `route` declares for it,
 * typed from that schema: `const page = await readBody(res, searchRoute, 200)`.
 */
export async function readBody<R extends RouteConfig, S extends keyof R['responses'] & number>(
  response: Response,
  route: R,
  status: S,
): Promise<JsonBodyOf<R, S>> {
  const text = await response.text();
  if (response.status !== status) {
    throw new Error(
      `expected ${status} from ${route.method.toUpperCase()} ${route.path}, got ${response.status}: ${text}`,
    );
  }
  const declared = route.responses[status];
  const entry = declared && 'content' in declared ? declared.content?.['application/json'] : undefined;
  const schema = entry && 'schema' in entry ? entry.schema : undefined;
  if (!(schema instanceof z.ZodType)) {
    throw new Error(`${route.method.toUpperCase()} ${route.path} declares no JSON schema for ${status}`);
  }
  return schema.parse(JSON.parse(text)) as JsonBodyOf<R, S>;
}
