import { z } from 'zod';
import { ValidationError } from '../errors';
import { base64ToBytes, bytesToBase64Url, utf8 } from './encoding';

/**
 * Opaque page cursors: the sort key of the last row served. Clients must not build them; a
 * cursor that does not decode is a validation error on `cursor`, not a 500.
 */
export interface PageCursor {
  createdAt: string;
  id: string;
}

const cursorSchema = z.strictObject({
  c: z.string().max(40),
  i: z.string().max(40),
});

export function encodeCursor(cursor: PageCursor): string {
  return bytesToBase64Url(utf8.encode(JSON.stringify({ c: cursor.createdAt, i: cursor.id })));
}

export function decodeCursor(text: string | undefined): PageCursor | null {
  if (text === undefined) return null;
  const bytes = base64ToBytes(text);
  let parsed: unknown;
  try {
    parsed = bytes ? JSON.parse(utf8.decode(bytes)) : null;
  } catch {
    parsed = null; // Falls through to the validation error below.
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success) {
    throw new ValidationError('The query string failed validation.', [
      { path: 'cursor', message: 'Is not a cursor this API issued.' },
    ]);
  }
  return { createdAt: result.data.c, id: result.data.i };
}

/**
 * Cuts a page from rows fetched with `LIMIT limit + 1`: the extra row only says that more
 * follow, and the cursor points after the last row served.
 */
export function pageOf<T>(
  rows: T[],
  limit: number,
  cursorOf: (row: T) => PageCursor,
): { rows: T[]; nextCursor: string | null } {
  const pageRows = rows.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  const hasMore = rows.length > limit;
  return { rows: pageRows, nextCursor: hasMore && last ? encodeCursor(cursorOf(last)) : null };
}
