import { describe, expect, it } from 'vitest';
import { APP_VERSION } from '../../src/app.ts';
import { createRouter } from '../../src/http/create-router.ts';
import { openApiDocument } from '../../src/http/openapi.ts';
import { mountRoutes } from '../../src/routes.ts';

interface Response {
  description: string;
  headers?: Record<string, { $ref?: string }>;
  content?: Record<string, { schema?: { $ref?: string; items?: unknown } }>;
}
interface Operation {
  operationId?: string;
  security?: Record<string, string[]>[];
  parameters?: { $ref?: string; name?: string }[];
  requestBody?: { content: Record<string, { schema?: { $ref?: string }; example?: unknown }> };
  responses: Record<string, Response>;
  'x-cairn-role'?: string;
  'x-cairn-idempotent'?: boolean;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: {
    headers: Record<string, unknown>;
    parameters: Record<string, { name: string; in: string }>;
    schemas: Record<string, { example?: unknown; properties?: Record<string, { example?: unknown }> }>;
  };
}

const app = createRouter();
mountRoutes(app);
const document = JSON.parse(JSON.stringify(openApiDocument(app, APP_VERSION))) as Document;
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, operation })),
);
const guarded = operations.filter(({ operation }) => operation.security?.some((s) => 'bearerAuth' in s));
const headerRef = (response: Response | undefined, name: string) => response?.headers?.[name]?.$ref;

describe('the OpenAPI document', () => {
  it('gives every operation a unique camelCase operationId', () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    for (const [i, id] of ids.entries()) expect(id, operations[i]?.name).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['analyzeText', 'listDocuments', 'createChatCompletion']));
  });

  it('declares security on every operation: bearerAuth, or none for the public routes', () => {
    for (const { name, operation } of operations) expect(operation.security, name).toBeDefined();
    for (const name of ['/health', '/ready', '/billing/webhooks']) {
      const item = document.paths[name] ?? {};
      for (const operation of Object.values(item)) expect(operation.security).toEqual([]);
    }
    expect(document.paths['/analyze']?.post?.security).toEqual([{ bearerAuth: [] }]);
  });

  it('documents the admin role and its 403 on admin routes', () => {
    const admin = operations.filter(({ name }) => / \/admin\//.test(name));
    expect(admin.length).toBeGreaterThan(20);
    for (const { name, operation } of admin) {
      expect(operation['x-cairn-role'], name).toBe('admin');
      expect(operation.security, name).toEqual([{ bearerAuth: [] }]);
      expect(operation.responses[403]?.description, name).toContain('`admin` role');
    }
  });

  it('takes Idempotency-Key where honoured, with 409, 422 and Idempotent-Replayed', () => {
    const idempotent = operations.filter(({ operation }) => operation['x-cairn-idempotent']);
    expect(idempotent.map(({ name }) => name)).toEqual(
      expect.arrayContaining([
        'POST /analyze',
        'POST /v1/chat/completions',
        'POST /documents',
        'POST /agent/runs',
      ]),
    );
    expect(document.components.parameters.IdempotencyKey).toMatchObject({
      name: 'Idempotency-Key',
      in: 'header',
    });
    for (const { name, operation } of idempotent) {
      expect(operation.parameters, name).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });
      expect(operation.responses[409], name).toBeDefined();
      expect(operation.responses[422], name).toBeDefined();
      const success = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'));
      for (const [, response] of success) {
        expect(headerRef(response, 'Idempotent-Replayed'), name).toBe(
          '#/components/headers/Idempotent-Replayed',
        );
      }
    }
    const notIdempotent = operations.filter(({ operation }) => !operation['x-cairn-idempotent']);
    for (const { operation } of notIdempotent)
      expect(operation.parameters ?? []).not.toContainEqual({
        $ref: '#/components/parameters/IdempotencyKey',
      });
  });

  it('gives guarded routes 401, 429 with Retry-After, and the RateLimit headers the limiter sends', () => {
    expect(guarded.length).toBeGreaterThan(40);
    for (const { name, operation } of guarded) {
      expect(operation.responses[401], name).toBeDefined();
      expect(operation.responses[503], name).toBeDefined();
      expect(headerRef(operation.responses[429], 'Retry-After'), name).toBe(
        '#/components/headers/Retry-After',
      );
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(headerRef(response, 'RateLimit'), `${name} ${status}`).toBe('#/components/headers/RateLimit');
        expect(headerRef(response, 'RateLimit-Policy'), `${name} ${status}`).toBe(
          '#/components/headers/RateLimit-Policy',
        );
      }
      if (operation.requestBody) {
        expect(operation.responses[413], name).toBeDefined();
        expect(operation.responses[415], name).toBeDefined();
      }
    }
  });

  it('puts X-Request-Id on every response, and problem details on every problem answer', () => {
    for (const { name, operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(headerRef(response, 'X-Request-Id'), `${name} ${status}`).toBe(
          '#/components/headers/X-Request-Id',
        );
        const problem = response.content?.['application/problem+json'];
        if (problem) expect(problem.schema?.$ref).toBe('#/components/schemas/Problem');
      }
    }
    expect(Object.keys(document.components.headers)).toEqual(
      expect.arrayContaining([
        'X-Request-Id',
        'RateLimit',
        'RateLimit-Policy',
        'Retry-After',
        'Idempotent-Replayed',
      ]),
    );
  });

  it('describes the Server-Sent Events of the streaming routes', () => {
    const streams = {
      'POST /chat': 'ChatStreamEvents',
      'POST /v1/chat/completions': 'ChatCompletionStreamEvents',
      'POST /agent/runs': 'AgentRunStreamEvents',
      'POST /agent/runs/{id}/approve': 'AgentRunStreamEvents',
      'POST /agent/runs/{id}/reject': 'AgentRunStreamEvents',
    };
    for (const [name, component] of Object.entries(streams)) {
      const operation = operations.find((o) => o.name === name)?.operation;
      const sse = operation?.responses[200]?.content?.['text/event-stream'];
      expect(sse?.schema?.$ref, name).toBe(`#/components/schemas/${component}`);
      expect(document.components.schemas[component], component).toBeDefined();
    }
  });

  it('gives every JSON request body an example', () => {
    for (const { name, operation } of operations) {
      const json = operation.requestBody?.content['application/json'];
      if (!json) continue;
      const ref = json.schema?.$ref?.split('/').pop();
      const schema = ref ? document.components.schemas[ref] : undefined;
      expect(json.example ?? schema?.example, name).toBeDefined();
    }
  });
});
