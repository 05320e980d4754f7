import { Hono } from 'hono';
import { createDocument } from 'zod-openapi';
import type { AppEnv } from '../middleware/context';
import { BEARER_SCHEME, OPS_SCHEME, TAGS } from './openapi-operation';
import { OPENAPI_PATHS } from './openapi-paths';

type OpenApiDocument = ReturnType<typeof createDocument>;

let cachedDocument: OpenApiDocument | undefined;

/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate requests and the ones
 * in responses.ts. Built on first use and kept for the isolate's life: it never changes at run
 * time, and building it costs a few milliseconds of CPU.
 */
export function openApiDocument(): OpenApiDocument {
  cachedDocument ??= createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Invisible Bank API',
      version: '1.0.0',
      description:
        'A banking API. Amounts are decimal strings with two places in USD; errors are RFC 9457 ' +
        'problems (`application/problem+json`); every response carries `X-Request-Id`.',
    },
    tags: [...TAGS],
    security: [{ [BEARER_SCHEME]: [] }],
    components: {
      securitySchemes: {
        [BEARER_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The access token from signup, login, MFA verify or refresh.',
        },
        [OPS_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          description: 'OPS_API_TOKEN, the operator secret of the key-management routes.',
        },
      },
    },
    paths: OPENAPI_PATHS,
  });
  return cachedDocument;
}

/** Mounted behind the environment check in app.ts: off in production. */
export const openApiRoutes = new Hono<AppEnv>();

openApiRoutes.get('/openapi.json', (c) => c.json(openApiDocument()));
