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
  const [type = '', ...parameters] = (contentType ?? '').toLowerCase().split(';');
  const mediaType = type.trim();
  const isJson =
    mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
  // JSON is UTF-8 (RFC 8259 §8.1); a body that says it is another charset is not read as one.
  const charset = parameters
    .map((parameter) => parameter.trim().split('='))
    .find(([name]) => name === 'charset')?.[1]
    ?.replaceAll('"', '');
  return isJson && (charset === undefined || charset === 'utf-8' || charset === 'utf8');
}

// fatal: bytes that are not UTF-8 are refused rather than turned into U+FFFD and stored.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(bytes: ArrayBuffer): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * For routes that take a JSON body: requires a JSON media type (415 otherwise, so an
 * all-optional schema is never checked against an empty object by accident) and refuses
 * malformed JSON, duplicate keys and prototype keys with 400 before validation runs.
 */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  if (!isJsonMediaType(c.req.header('Content-Type'))) {
    throw new UnsupportedMediaTypeError('Send the request body as application/json in UTF-8.');
  }
  const text = decodeUtf8(await c.req.arrayBuffer());
  if (text === null) throw new BadRequestError('The request body is not valid UTF-8.');
  const parsed = parseStrictJson(text);
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
