import { zValidator } from '@hono/zod-validator';
import type { ValidationTargets } from 'hono';
import type { z } from 'zod';
import { NotFoundError, ValidationError, type FieldIssue } from '../errors';

/** Turns zod issues into the problem's `errors` list. The rejected input is never echoed. */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // A strict object reports all unknown members in one issue at the object's own path, which
    // would leave `path` empty; one entry per member tells the client what to remove.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        path: [...path, key].join('.'),
        message: 'Is not a field of this request.',
      }));
    }
    return [{ path: path.join('.'), message: issue.message }];
  });
}

type Target = keyof Pick<ValidationTargets, 'json' | 'query' | 'param'>;

/**
 * The only use of zValidator in the project: one hook, one error shape. A bad path parameter
 * (an id that is not a UUID) answers 404, since no such resource can exist; a bad body or
 * query answers 422 with one entry per failing field.
 */
export function validate<T extends Target, S extends z.ZodType>(target: T, schema: S) {
  return zValidator(target, schema, (result) => {
    if (result.success) return;
    if (target === 'param') throw new NotFoundError('No such resource.');
    const where = target === 'json' ? 'request body' : 'query string';
    throw new ValidationError(
      `The ${where} failed validation.`,
      toFieldIssues(result.error.issues),
    );
  });
}
