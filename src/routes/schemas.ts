import { z } from 'zod';
import { parseAmountMinor } from '../lib/money';
import { parseCalendarDate } from '../lib/time';
import * as limits from '../lib/limits';

/**
 * Field schemas shared by the routes. Strings are bounded, and text that people type refuses
 * control, bidirectional-override and zero-width characters rather than silently dropping them.
 */

// C0 and C1 controls (tab, CR and LF are allowed only where a field says so); bidi marks,
// embeddings, overrides and isolates; zero-width, joiner and filler characters that render as
// nothing; line and paragraph separators; the byte order mark and non-characters; and, since
// the expression is in unicode mode, any lone surrogate (a well-formed pair is one code point).
// The lint rule sees the surrogate range as a split pair; here lone surrogates are the target.
/* eslint-disable no-misleading-character-class */
const UNSAFE_CHARACTERS = new RegExp(
  '[' +
    ['\\u0000-\\u0008', '\\u000B\\u000C', '\\u000E-\\u001F', '\\u007F-\\u009F'].join('') +
    ['\\u00AD', '\\u034F', '\\u061C', '\\u115F\\u1160', '\\u17B4\\u17B5', '\\u180E'].join('') +
    ['\\u200B-\\u200F', '\\u2028-\\u202E', '\\u2060-\\u206F', '\\u3164'].join('') +
    ['\\uD800-\\uDFFF', '\\uFEFF', '\\uFFA0', '\\uFFF0-\\uFFF8', '\\uFFFE\\uFFFF'].join('') +
    ']',
  'u',
);
/* eslint-enable no-misleading-character-class */
const LINE_BREAKS = /[\t\n\r]/;

/**
 * Client text: refused, never rewritten, when it holds an unsafe character (checked before
 * trimming, which would otherwise drop some of them unseen); then trimmed of ordinary spaces
 * and bounded.
 */
export function text(options: { min: number; max: number; multiline?: boolean }) {
  return z
    .string()
    .max(options.max * 2, `Must be at most ${options.max} characters.`)
    .refine((value) => !UNSAFE_CHARACTERS.test(value), 'Contains a control or invisible character.')
    .refine(
      (value) => options.multiline === true || !LINE_BREAKS.test(value),
      'Must be a single line.',
    )
    .trim()
    .min(
      options.min,
      options.min === 1 ? 'Must not be empty.' : `Must be at least ${options.min} characters.`,
    )
    .max(options.max, `Must be at most ${options.max} characters.`);
}

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(limits.EMAIL_LENGTH_MAX, `Must be at most ${limits.EMAIL_LENGTH_MAX} characters.`)
  .pipe(z.email('Must be an email address.'))
  .meta({ format: 'email', description: 'Compared case-insensitively, after trimming.' });

/** Length is counted in code points after NFKC normalization, as the password is hashed. */
export const passwordSchema = z
  .string()
  .max(limits.PASSWORD_LENGTH_MAX * 4, `Must be at most ${limits.PASSWORD_LENGTH_MAX} characters.`)
  .refine(
    (value) => [...value.normalize('NFKC')].length >= limits.PASSWORD_LENGTH_MIN,
    `Must be at least ${limits.PASSWORD_LENGTH_MIN} characters.`,
  )
  .refine(
    (value) => [...value.normalize('NFKC')].length <= limits.PASSWORD_LENGTH_MAX,
    `Must be at most ${limits.PASSWORD_LENGTH_MAX} characters.`,
  )
  .meta({
    minLength: limits.PASSWORD_LENGTH_MIN,
    maxLength: limits.PASSWORD_LENGTH_MAX,
    description:
      'Counted after Unicode NFKC normalization. A common password, or the email, is refused.',
  });

/** A password offered for checking: bounded, but never judged by the current policy. */
export const passwordAttemptSchema = z
  .string()
  .min(1, 'Must not be empty.')
  .max(limits.PASSWORD_LENGTH_MAX * 4, 'Too long.');

/** Area 000, 666 and 900-999, group 00 and serial 0000 are never issued by the SSA. */
export const ssnSchema = z
  .string()
  .regex(/^\d{3}-\d{2}-\d{4}$/, 'Must look like XXX-XX-XXXX.')
  .refine((value) => {
    const [area = '', group = '', serial = ''] = value.split('-');
    return (
      area !== '000' &&
      area !== '666' &&
      !area.startsWith('9') &&
      group !== '00' &&
      serial !== '0000'
    );
  }, 'Is not a number the SSA issues.')
  .meta({
    description:
      'A number the SSA issues: area not 000, 666 or 9xx; group not 00; serial not 0000.',
    example: '123-45-6789',
  });

export const calendarDateSchema = z
  .string()
  .max(10)
  .refine((value) => parseCalendarDate(value) !== null, 'Must be a real date, YYYY-MM-DD.')
  .meta({ format: 'date', example: '2026-12-03' });

export const birthDateSchema = calendarDateSchema
  .refine((value) => value >= limits.BIRTH_DATE_MIN, `Must not be before ${limits.BIRTH_DATE_MIN}.`)
  .meta({
    format: 'date',
    description: `Not before ${limits.BIRTH_DATE_MIN}; the holder must be 18 or older today.`,
    example: '1990-12-10',
  });

export const uuidSchema = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'Must be an id.')
  .meta({ format: 'uuid', example: '01a23cf0-3235-7c3a-9e61-6a2f1b0c4d5e' });

export const idParamSchema = z.object({ id: uuidSchema });

/** An amount as a decimal string or JSON number with at most two places, parsed to cents. */
export const amountSchema = z
  .union([z.string().max(20), z.number()], { error: 'Must be a decimal amount.' })
  .transform((value, context) => {
    const minor = parseAmountMinor(value);
    if (minor === null) {
      context.addIssue({
        code: 'custom',
        message: 'Must be greater than 0 and at most 1000000000.00, with at most two decimals.',
      });
      return z.NEVER;
    }
    return minor;
  })
  .meta({
    description:
      'A decimal string or JSON number, greater than 0 and at most 1000000000.00, with at ' +
      'most two decimals. Exponents, commas and other signs are refused.',
    example: '100.00',
  });

/** The Idempotency-Key header of money-moving POSTs: 1..255 visible ASCII characters. */
export const idempotencyKeySchema = z
  .string()
  .regex(
    new RegExp(`^[\\x21-\\x7E]{1,${limits.IDEMPOTENCY_KEY_LENGTH_MAX}}$`),
    `Must be 1 to ${limits.IDEMPOTENCY_KEY_LENGTH_MAX} visible ASCII characters.`,
  );

export const descriptionSchema = text({ min: 0, max: limits.DESCRIPTION_LENGTH_MAX });

export const pageQuerySchema = {
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'Must be a whole number.')
    .transform(Number)
    .refine(
      (value) => value >= 1 && value <= limits.PAGE_SIZE_MAX,
      `Must be between 1 and ${limits.PAGE_SIZE_MAX}.`,
    )
    .optional()
    .meta({
      description: `Page size: 1 to ${limits.PAGE_SIZE_MAX}, default ${limits.PAGE_SIZE_DEFAULT}.`,
    }),
  cursor: z
    .string()
    .max(limits.CURSOR_LENGTH_MAX)
    .optional()
    .meta({ description: 'The next_cursor of the previous page.' }),
};
