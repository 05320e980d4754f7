import { assert } from './assert';
import { AMOUNT_MINOR_MAX } from './limits';

export const CURRENCY = 'USD';

const DECIMAL_PATTERN = /^(0|[1-9]\d{0,11})(\.\d{1,2})?$/;

/**
 * Parses a client amount (a decimal string or a JSON number with at most two decimals) into
 * cents. Returns null for anything else, including exponents, signs and separators.
 */
export function parseAmountMinor(input: unknown): number | null {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else if (typeof input === 'number' && Number.isFinite(input)) {
    // String(0.1) is "0.1" and String(1e21) is "1e+21": the pattern below rejects the latter,
    // and every number with at most two decimals prints without an exponent below 1e21.
    text = String(input);
  } else {
    return null;
  }
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) return null;
  const whole = Number(match[1]);
  const fraction = Number(((match[2] ?? '.').slice(1) + '00').slice(0, 2));
  const minor = whole * 100 + fraction;
  if (!Number.isSafeInteger(minor) || minor <= 0 || minor > AMOUNT_MINOR_MAX) return null;
  return minor;
}

/** Asserts that a value is a whole number of cents within the safe range and returns it. */
export function toMinor(value: number): number {
  assert(Number.isSafeInteger(value), 'amount in minor units must be a safe integer');
  return value;
}

/** Formats cents as an exact decimal string with two places: 123456 -> "1234.56". */
export function formatMinor(amountMinor: number): string {
  assert(Number.isSafeInteger(amountMinor), 'formatMinor takes a safe integer');
  const sign = amountMinor < 0 ? '-' : '';
  const absolute = Math.abs(amountMinor);
  const whole = Math.floor(absolute / 100);
  const cents = absolute % 100;
  return `${sign}${whole}.${cents.toString().padStart(2, '0')}`;
}
