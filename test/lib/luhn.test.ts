import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/lib/assert';
import { isLuhnValid, luhnCheckDigit } from '../../src/lib/luhn';

describe('luhnCheckDigit', () => {
  it('computes the check digit of the well-known test card 4242 4242 4242 4242', () => {
    expect(luhnCheckDigit('424242424242424')).toBe(2);
  });

  it('computes the check digit of the textbook example 7992739871', () => {
    expect(luhnCheckDigit('7992739871')).toBe(3);
  });

  it('gives 0 when the weighted sum is already a multiple of ten', () => {
    // 0 doubled is 0, so an all-zero payload sums to 0.
    expect(luhnCheckDigit('000000000000000')).toBe(0);
    expect(luhnCheckDigit('18')).toBe(2);
  });

  it('refuses a payload that is empty or holds anything but digits', () => {
    expect(() => luhnCheckDigit('')).toThrow(AssertionError);
    expect(() => luhnCheckDigit('4242 4242')).toThrow(AssertionError);
    expect(() => luhnCheckDigit('42a2')).toThrow(AssertionError);
  });
});

describe('isLuhnValid', () => {
  it('accepts 4242424242424242', () => {
    expect(isLuhnValid('4242424242424242')).toBe(true);
  });

  it('rejects 4242424242424241', () => {
    expect(isLuhnValid('4242424242424241')).toBe(false);
  });

  it('accepts the textbook example 79927398713 and rejects its neighbours', () => {
    expect(isLuhnValid('79927398713')).toBe(true);
    expect(isLuhnValid('79927398710')).toBe(false);
    expect(isLuhnValid('79927398714')).toBe(false);
  });

  it('rejects every single-digit change of a valid number', () => {
    const valid = '4242424242424242';
    for (let position = 0; position < valid.length; position++) {
      for (let digit = 0; digit <= 9; digit++) {
        if (String(digit) === valid[position]) continue;
        const changed = valid.slice(0, position) + String(digit) + valid.slice(position + 1);
        expect(isLuhnValid(changed), changed).toBe(false);
      }
    }
  });

  it('rejects inputs that are too short or not all digits', () => {
    expect(isLuhnValid('')).toBe(false);
    expect(isLuhnValid('0')).toBe(false);
    expect(isLuhnValid('4242 4242 4242 4242')).toBe(false);
    expect(isLuhnValid('4242-4242-4242-4242')).toBe(false);
    expect(isLuhnValid('４２４２４２４２４２４２４２４２')).toBe(false);
  });
});
