import type { App } from '../../src/app.ts';
import { APP_VERSION } from '../../src/app.ts';
import { openApiDocument } from '../../src/http/openapi.ts';
import type { JsonSchema, SchemaResolver } from './json-schema-arbitrary.ts';

/** One parameter of an operation, as the OpenAPI document declares it. */
export interface FuzzParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

/**
 * What the fuzzer sends requests to. `operation`: an operation of the OpenAPI document, its inputs
 * derived from the document; the other kinds are served beside the document and get inputs of
 * their own: `mcp` JSON-RPC messages, `webhook` signed (or badly signed) billing events, `page`
 * the dashboard's HTML pages and forms, `document` the OpenAPI document and its reference page.
 */
export interface FuzzTarget {
  /** "POST /documents/{id}", as the document (or the router, for the others) names it. */
  name: string;
  kind: 'operation' | 'mcp' | 'webhook' | 'page' | 'document';
  method: string;
  path: string;
  parameters: FuzzParameter[];
  /** The request body's schema per media type (`application/json`, `multipart/form-data`). */
  body: Record<string, JsonSchema>;
  idempotent: boolean;
  /** The route needs an admin (`x-cairn-role`), so most requests send an admin's token. */
  admin: boolean;
  /** The operation declares bearer auth (every guarded route and /metrics). */
  authenticated: boolean;
}

interface OpenApiOperation {
  parameters?: (FuzzParameter | { $ref: string })[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  security?: unknown[];
  'x-cairn-role'?: string;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);

// Served beside the OpenAPI document; each gets inputs of its kind (FuzzTarget). A route the app
// serves that is neither in the document nor here fails `fuzzTargets`, so none is skipped silently.
const OUTSIDE_THE_DOCUMENT: Record<string, FuzzTarget['kind']> = {
  'POST /mcp': 'mcp',
  'GET /mcp': 'mcp',
  'DELETE /mcp': 'mcp',
  'GET /openapi.json': 'document',
  'GET /docs': 'document',
};
const DASHBOARD_PATH = /^\/admin(?:\/login|\/logout|\/dashboard(?:\/.*)?)?$/;

const templatePath = (honoPath: string) => honoPath.replace(/:([A-Za-z_]+)/g, '{$1}');

/** The app's OpenAPI document, with a resolver for its `#/components/...` references. */
export function appDocument(app: App) {
  const document = openApiDocument(app, APP_VERSION) as unknown as {
    paths: Record<string, Record<string, OpenApiOperation>>;
    components: Record<string, Record<string, unknown>>;
  };
  const resolve: SchemaResolver = (ref) => {
    const [, , kind, name] = ref.split('/');
    const found = kind && name ? document.components[kind]?.[name] : undefined;
    if (!found) throw new Error(`unresolved reference ${ref}`);
    return found as JsonSchema;
  };
  return { document, resolve };
}

/**
 * Every operation of the app's OpenAPI document, and every other route the app serves, as fuzz
 * targets. Throws on a route the app serves that neither the document nor OUTSIDE_THE_DOCUMENT covers.
 */
export function fuzzTargets(app: App): { targets: FuzzTarget[]; resolve: SchemaResolver } {
  const { document, resolve } = appDocument(app);
  const targets: FuzzTarget[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!HTTP_METHODS.has(method)) continue;
      const parameters = (operation.parameters ?? []).map((p) =>
        '$ref' in p ? (resolve(p.$ref) as unknown as FuzzParameter) : p,
      );
      const body = Object.fromEntries(
        Object.entries(operation.requestBody?.content ?? {}).map(([type, media]) => [type, media.schema]),
      );
      const name = `${method.toUpperCase()} ${path}`;
      targets.push({
        name,
        kind: name === 'POST /billing/webhooks' ? 'webhook' : 'operation',
        method: method.toUpperCase(),
        path,
        parameters: parameters.filter((p) => p.name !== 'Idempotency-Key'),
        body,
        idempotent: parameters.some((p) => p.name === 'Idempotency-Key'),
        admin: operation['x-cairn-role'] === 'admin',
        authenticated: (operation.security ?? []).length > 0,
      });
    }
  }
  const covered = new Set(targets.map((t) => t.name));
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    const name = `${route.method} ${templatePath(route.path)}`;
    if (covered.has(name)) continue;
    covered.add(name);
    const path = templatePath(route.path);
    const kind = OUTSIDE_THE_DOCUMENT[name] ?? (DASHBOARD_PATH.test(route.path) ? 'page' : undefined);
    if (!kind) throw new Error(`${name} is served but neither in the OpenAPI document nor fuzzed otherwise`);
    const parameters: FuzzParameter[] = [...path.matchAll(/\{([^}]+)\}/g)].map(([, param]) => ({
      name: param ?? '',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    targets.push({
      name,
      kind,
      method: route.method,
      path,
      parameters,
      body: {},
      idempotent: false,
      admin: kind === 'page',
      authenticated: kind === 'mcp' || kind === 'page',
    });
  }
  return { targets, resolve };
}
