import { createRouter } from '../http/create-router.ts';
import { getMeHandler } from './me.handlers.ts';
import { getMeRoute } from './me.routes.ts';

export const authRouter = createRouter().openapi(getMeRoute, getMeHandler);
