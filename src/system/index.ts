import { createRouter } from '../http/create-router.ts';
import { healthHandler, readyHandler } from './system.handlers.ts';
import { health, ready } from './system.routes.ts';

export const systemRouter = createRouter().openapi(health, healthHandler).openapi(ready, readyHandler);
