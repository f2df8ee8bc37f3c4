/** The JWT secret every test app and the workerd test bindings share. */
export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
