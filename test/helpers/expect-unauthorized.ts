import { expect } from 'vitest';
import { AppError } from '../../src/errors.ts';

/** Asserts that `promise` rejects with a 401 AppError whose message matches `detail`. */
export async function expectUnauthorized(promise: Promise<unknown>, detail: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).status).toBe(401);
  expect((error as AppError).message).toMatch(detail);
}
