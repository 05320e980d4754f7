import { assert } from './assert';

/**
 * The Luhn (mod 10) check digit of ISO/IEC 7812-1, which every card number ends with. It
 * catches any single mistyped digit and most swaps of two neighbours; it is no secret.
 */

const DIGITS_PATTERN = /^\d+$/;

/** The digit to append to `payload` (digits only, at least one) to make it Luhn-valid. */
export function luhnCheckDigit(payload: string): number {
  assert(DIGITS_PATTERN.test(payload), 'a Luhn payload is a non-empty string of digits');
  let sum = 0;
  // Counting from the right of the payload, every first, third, ... digit is doubled, since the
  // check digit that follows takes the undoubled rightmost place.
  for (let offset = 0; offset < payload.length; offset++) {
    const digit = Number(payload[payload.length - 1 - offset]);
    const isDoubled = offset % 2 === 0;
    const contribution = isDoubled ? digit * 2 : digit;
    sum += contribution > 9 ? contribution - 9 : contribution;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether `number` is at least two digits and its last digit is the Luhn check digit. */
export function isLuhnValid(number: string): boolean {
  if (number.length < 2 || !DIGITS_PATTERN.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === Number(number.slice(-1));
}
