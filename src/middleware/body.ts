import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../errors';
import { parseStrictJson } from '../lib/json';
import { BODY_BYTES_MAX } from '../lib/limits';
import type { AppEnv } from './context';

const limit = bodyLimit({
  maxSize: BODY_BYTES_MAX,
  onError: () => {
    throw new PayloadTooLargeError(`The request body is larger than ${BODY_BYTES_MAX} bytes.`);
  },
});

/**
 * Refuses bodies over the limit before anything reads them. A Content-Length that is not a
 * plain number would make the limit compare against NaN and pass, so it is refused first.
 */
export const limitBody = createMiddleware<AppEnv>(async (c, next) => {
  const declaredLength = c.req.header('Content-Length');
  if (declaredLength !== undefined && !/^\d{1,15}$/.test(declaredLength)) {
    throw new BadRequestError('The Content-Length header is not a number.');
  }
  return limit(c, next);
});

function isJsonMediaType(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

/**
 * For routes that take a JSON body: requires a JSON media type (415 otherwise, so an
 * all-optional schema is never checked against an empty object by accident) and refuses
 * malformed JSON, duplicate keys and prototype keys with 400 before validation runs.
 */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  if (!isJsonMediaType(c.req.header('Content-Type'))) {
    throw new UnsupportedMediaTypeError('Send the request body as application/json.');
  }
  const parsed = parseStrictJson(await c.req.text());
  if (!parsed.ok) {
    const detail =
      parsed.reason === 'malformed'
        ? 'The request body is not valid JSON.'
        : parsed.reason === 'duplicate_key'
          ? 'The request body repeats a member name.'
          : 'The request body uses a reserved member name.';
    throw new BadRequestError(detail);
  }
  // The validators read c.req.json(), which would parse the text again with plain JSON.parse and
  // lose what the strict parse decided (unusual number literals kept as text). They get its value.
  const { value } = parsed;
  c.req.json = <T>() => Promise.resolve(value as T);
  await next();
});
