import { describe, expect, it } from 'vitest';
import {
  addDays,
  ageYears,
  fixedClock,
  parseCalendarDate,
  toDateString,
  toIso,
} from '../../src/lib/time';

describe('parseCalendarDate', () => {
  it.each([
    ['a leap day in a leap year', '2024-02-29', { year: 2024, month: 2, day: 29 }],
    ['a leap day in a year divisible by 400', '2000-02-29', { year: 2000, month: 2, day: 29 }],
    ['the last day of the year', '2023-12-31', { year: 2023, month: 12, day: 31 }],
    ['the first day of 1900', '1900-01-01', { year: 1900, month: 1, day: 1 }],
    ['the 30th of April', '2023-04-30', { year: 2023, month: 4, day: 30 }],
  ])('accepts %s', (_name, text, expected) => {
    expect(parseCalendarDate(text)).toEqual(expected);
  });

  it.each([
    ['the 30th of February', '2023-02-30'],
    ['a leap day in a common year', '2023-02-29'],
    ['a leap day in a century year not divisible by 400', '1900-02-29'],
    ['the 31st of April', '2023-04-31'],
    ['month 13', '2023-13-01'],
    ['month 00', '2023-00-10'],
    ['day 00', '2023-01-00'],
    ['day 32', '2023-01-32'],
    ['a one-digit month', '2023-1-01'],
    ['a date with a time', '2023-01-01T00:00:00Z'],
    ['a leading space', ' 2023-01-01'],
    ['slashes', '2023/01/01'],
    ['day-first order', '01-01-2023'],
    ['the empty string', ''],
  ])('refuses %s as a calendar date', (_name, text) => {
    expect(parseCalendarDate(text)).toBeNull();
  });
});

describe('ageYears', () => {
  it.each([
    ['the day before the 18th birthday', '2000-06-15', '2018-06-14', 17],
    ['the 18th birthday itself', '2000-06-15', '2018-06-15', 18],
    ['the day after the 18th birthday', '2000-06-15', '2018-06-16', 18],
    ['a later day in the birthday month', '2000-06-15', '2018-06-30', 18],
    ['an earlier month of the 18th year', '2000-06-15', '2018-05-20', 17],
    ['a later month of the 18th year', '2000-06-15', '2018-07-01', 18],
    ["New Year's Eve birthday, one day early", '1999-12-31', '2017-12-30', 17],
    ["New Year's Eve birthday, on the day", '1999-12-31', '2017-12-31', 18],
    ["New Year's Day birthday, the day before", '2000-01-01', '2017-12-31', 17],
    ['the day of birth', '2000-06-15', '2000-06-15', 0],
  ])('counts %s', (_name, birthDate, onDate, expected) => {
    expect(ageYears(birthDate, onDate)).toBe(expected);
  });

  it.each([
    ['28 February of a common year', '2018-02-28', 17],
    ['1 March of a common year', '2018-03-01', 18],
    ['28 February of a leap year', '2024-02-28', 23],
    ['29 February of a leap year', '2024-02-29', 24],
  ])('counts a 29 February birth on %s', (_name, onDate, expected) => {
    // Someone born on a leap day comes of age on 1 March in common years.
    expect(ageYears('2000-02-29', onDate)).toBe(expected);
  });
});

describe('addDays and toDateString', () => {
  it.each([
    ['into a leap day', '2024-02-28', 1, '2024-02-29'],
    ['past February in a common year', '2023-02-28', 1, '2023-03-01'],
    ['backwards across a year end', '2024-01-01', -1, '2023-12-31'],
    ['by zero days', '2024-06-15', 0, '2024-06-15'],
    ['by a 366-day year', '2024-01-01', 366, '2025-01-01'],
  ])('adds days %s', (_name, date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it('gives the UTC date of an instant, not the local one', () => {
    expect(toDateString(Date.UTC(2026, 11, 3, 23, 59, 59, 999))).toBe('2026-12-03');
    expect(toDateString(Date.UTC(2026, 11, 4, 0, 0, 0, 0))).toBe('2026-12-04');
  });
});

describe('fixedClock', () => {
  it('stands still until advanced, then moves by exactly the amount given', () => {
    const clock = fixedClock('2026-12-03T16:20:00.000Z');
    expect(toIso(clock.nowMs())).toBe('2026-12-03T16:20:00.000Z');
    expect(toIso(clock.nowMs())).toBe('2026-12-03T16:20:00.000Z');
    clock.advanceMs(1500);
    expect(toIso(clock.nowMs())).toBe('2026-12-03T16:20:01.500Z');
  });
});
