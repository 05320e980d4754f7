import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../src/lib/assert';
import { AMOUNT_MINOR_MAX } from '../../src/lib/limits';
import { formatMinor, parseAmountMinor, toMinor } from '../../src/lib/money';

describe('parseAmountMinor', () => {
  it.each([
    ['the string "10"', '10', 1000],
    ['the string "10.5"', '10.5', 1050],
    ['the string "10.50"', '10.50', 1050],
    ['the number 10.5', 10.5, 1050],
    ['the number 0.01', 0.01, 1],
    ['the string "0.01"', '0.01', 1],
    ['the string "100"', '100', 10_000],
    ['the number 100', 100, 10_000],
    ['the number 19.99, which is 1998.9999… cents in floating point', 19.99, 1999],
    ['the number 0.07, which is 7.0000…1 cents in floating point', 0.07, 7],
    ['the number 1.1', 1.1, 110],
    ['the string "1000000000.00", the maximum', '1000000000.00', 100_000_000_000],
    ['the number 1000000000, the maximum', 1_000_000_000, 100_000_000_000],
  ])('reads %s as cents', (_name, input, expectedMinor) => {
    expect(parseAmountMinor(input)).toBe(expectedMinor);
  });

  it('accepts exactly AMOUNT_MINOR_MAX and nothing above it', () => {
    expect(parseAmountMinor('1000000000.00')).toBe(AMOUNT_MINOR_MAX);
    expect(parseAmountMinor('1000000000.01')).toBeNull();
    expect(parseAmountMinor(1_000_000_000.01)).toBeNull();
  });

  it.each([
    ['an exponent string "1e3"', '1e3'],
    ['an exponent number 1e21 (printed "1e+21")', 1e21],
    ['a small number that prints with an exponent, 1e-7', 1e-7],
    ['three decimals as a number, 0.001', 0.001],
    ['three decimals as a string, "10.123"', '10.123'],
    ['the floating-point sum 0.1 + 0.2', 0.1 + 0.2],
    ['a negative number, -5', -5],
    ['a negative string, "-5"', '-5'],
    ['a plus sign, "+10"', '+10'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['the string "Infinity"', 'Infinity'],
    ['a decimal comma, "12,50"', '12,50'],
    ['a thousands separator, "1,000"', '1,000'],
    ['an underscore separator, "1_000"', '1_000'],
    ['a hex string, "0x10"', '0x10'],
    ['true', true],
    ['false', false],
    ['null', null],
    ['undefined', undefined],
    ['an object', { amount: '10' }],
    ['an array', ['10']],
    ['a bigint', 10n],
    ['the empty string', ''],
    ['a leading space, " 10"', ' 10'],
    ['a trailing space, "10 "', '10 '],
    ['a trailing newline, "10\\n"', '10\n'],
    ['zero as a string, "0"', '0'],
    ['zero as a number', 0],
    ['negative zero', -0],
    ['zero with decimals, "0.00"', '0.00'],
    ['a leading zero, "00.10"', '00.10'],
    ['a leading zero, "010"', '010'],
    ['a trailing point, "10."', '10.'],
    ['a leading point, ".5"', '.5'],
    ['a non-ASCII digit, "١٠"', '١٠'],
    ['the unsafe integer 9007199254740993', 9007199254740993],
    ['a 13-digit string', '1000000000000'],
    ['a 12-digit string above the maximum', '999999999999.99'],
  ])('refuses %s as an amount', (_name, input) => {
    expect(parseAmountMinor(input)).toBeNull();
  });
});

describe('formatMinor', () => {
  it.each([
    [0, '0.00'],
    [1, '0.01'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [123_456, '1234.56'],
    [100_000_000_000, '1000000000.00'],
    [-1, '-0.01'],
    [-123_456, '-1234.56'],
    [Number.MAX_SAFE_INTEGER, '90071992547409.91'],
  ])('formats %i cents as "%s"', (amountMinor, expected) => {
    expect(formatMinor(amountMinor)).toBe(expected);
  });

  it.each([
    ['a fraction of a cent', 1.5],
    ['NaN', Number.NaN],
    ['an unsafe integer', 2 ** 53],
  ])('refuses to format %s with an assertion', (_name, amountMinor) => {
    expect(() => formatMinor(amountMinor)).toThrow(
      new AssertionError('formatMinor takes a safe integer'),
    );
  });

  it('formats every parsed amount back to its two-decimal form', () => {
    const inputs = ['0.01', '0.1', '1', '10.5', '19.99', '1000000000'];
    const formatted = inputs.map((input) => formatMinor(parseAmountMinor(input) ?? Number.NaN));
    expect(formatted).toEqual(['0.01', '0.10', '1.00', '10.50', '19.99', '1000000000.00']);
  });
});

describe('toMinor', () => {
  it('returns a safe integer unchanged', () => {
    expect(toMinor(1050)).toBe(1050);
    expect(toMinor(-1050)).toBe(-1050);
  });

  it.each([
    ['a fraction', 10.5],
    ['an unsafe integer', 2 ** 53],
    ['NaN', Number.NaN],
  ])('refuses to wrap %s as minor units with an assertion', (_name, value) => {
    expect(() => toMinor(value)).toThrow(
      new AssertionError('amount in minor units must be a safe integer'),
    );
  });
});
