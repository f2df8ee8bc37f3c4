import { createRouter } from '../http/create-router.ts';
import { meHandler } from './me.handlers.ts';
import { me } from './me.routes.ts';

export const authRouter = createRouter().openapi(me, meHandler);
