import { createRouter } from '../../http/create-router.ts';
import {
  getUserHandler,
  listUsersHandler,
  updateUserHandler,
  updateUserSubscriptionHandler,
} from './users.handlers.ts';
import {
  getUserRoute,
  listUsersRoute,
  updateUserRoute,
  updateUserSubscriptionRoute,
} from './users.routes.ts';

/** Admin routes over users: list and read them, change their plan or subscription, disable or enable them. */
export const adminUsersRouter = createRouter()
  .openapi(listUsersRoute, listUsersHandler)
  .openapi(getUserRoute, getUserHandler)
  .openapi(updateUserRoute, updateUserHandler)
  .openapi(updateUserSubscriptionRoute, updateUserSubscriptionHandler);
