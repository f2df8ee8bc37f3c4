import { createRouter } from '../http/create-router.ts';
import { referencePage } from './reference-page.ts';

export const apiReferenceRouter = createRouter();

// The page is not an API operation, so it stays out of the OpenAPI document.
apiReferenceRouter.get('/docs', (c) => {
  c.header(
    'Content-Security-Policy',
    "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
  );
  return c.html(referencePage);
});
