import { drizzle, type DrizzleD1Database } from 'drizzle-orm/d1';
import * as schema from './schema';

/**
 * The database handle used everywhere. D1 refuses BEGIN, so drizzle's `transaction()` cannot
 * work; it is removed from the type, and atomic writes go through `db.batch([...])`.
 */
export type Db = Omit<DrizzleD1Database<typeof schema>, 'transaction'>;

const handles = new WeakMap<D1Database, Db>();

export function getDb(binding: D1Database): Db {
  let db = handles.get(binding);
  if (!db) {
    db = drizzle(binding, { schema });
    handles.set(binding, db);
  }
  return db;
}

/** D1 reports constraint failures only in the error message; this reads which one fired. */
export function constraintFailure(error: unknown): 'unique' | 'check' | 'not_null' | null {
  const message = collectMessages(error);
  if (message.includes('UNIQUE constraint failed')) return 'unique';
  if (message.includes('CHECK constraint failed')) return 'check';
  if (message.includes('NOT NULL constraint failed')) return 'not_null';
  return null;
}

function collectMessages(error: unknown): string {
  let text = '';
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    text += current.message + '\n';
    current = current.cause;
  }
  return text;
}
