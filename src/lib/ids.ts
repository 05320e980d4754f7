import { v7 } from 'uuid';

/** A new time-ordered resource id (UUID version 7) stamped with the given time. */
export function newId(nowMs: number): string {
  return v7({ msecs: nowMs });
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
