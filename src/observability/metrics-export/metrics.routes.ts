import { createRoute, z } from '@hono/zod-openapi';
import { authErrorResponses, problemResponses } from '../../http/openapi.ts';
import { metricsAuth } from './metrics-auth.middleware.ts';
import { PROMETHEUS_TEXT_TYPE } from './metrics-scrape.ts';

export const getMetricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'getMetrics',
  tags: ['system'],
  summary: 'Metrics in the Prometheus text format (Node; 404 on Workers, which push OTLP instead)',
  description:
    'Every OpenTelemetry instrument of this process (request latency, model tokens and cost, guard rejections, jobs, queue depth, agent runs and tool calls), for a Prometheus scrape. Send `Authorization: Bearer <METRICS_TOKEN>` when that setting is set, or an admin JWT.',
  security: [{ bearerAuth: [] }],
  middleware: [metricsAuth()] as const,
  responses: {
    200: {
      description: 'The current value of every instrument',
      content: {
        [PROMETHEUS_TEXT_TYPE]: {
          schema: z.string().openapi({
            example:
              '# HELP http_server_request_duration Duration of HTTP server requests.\n# TYPE http_server_request_duration histogram\n…',
          }),
        },
      },
    },
    ...authErrorResponses,
    401: {
      ...authErrorResponses[401],
      description: 'No bearer token, or neither METRICS_TOKEN nor a valid JWT',
    },
    403: { ...authErrorResponses[403], description: 'A valid JWT without the admin role' },
    404: { ...problemResponses[404], description: 'This runtime serves no metrics (Workers)' },
    429: problemResponses[429],
  },
});
