/** A source of the current time, injected so that tests can fix it. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export function fixedClock(isoTime: string): Clock & { advanceMs(deltaMs: number): void } {
  let currentMs = Date.parse(isoTime);
  return {
    nowMs: () => currentMs,
    advanceMs: (deltaMs: number) => {
      currentMs += deltaMs;
    },
  };
}

export function toIso(timeMs: number): string {
  return new Date(timeMs).toISOString();
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Parses a YYYY-MM-DD calendar date strictly. `new Date('2023-02-30')` silently rolls over to
 * March, so the parts are checked against the date they produce.
 */
export function parseCalendarDate(
  text: string,
): { year: number; month: number; day: number } | null {
  const match = DATE_PATTERN.exec(text);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const date = new Date(Date.UTC(year, month - 1, day));
  const isSameDate =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return isSameDate ? { year, month, day } : null;
}

/** The UTC calendar date of an instant, as YYYY-MM-DD. */
export function toDateString(timeMs: number): string {
  return toIso(timeMs).slice(0, 10);
}

/** Adds whole days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const startMs = Date.parse(`${date}T00:00:00.000Z`);
  return toDateString(startMs + days * 24 * 60 * 60 * 1000);
}

/** Full years between a birth date and a day, both YYYY-MM-DD. */
export function ageYears(birthDate: string, onDate: string): number {
  const [birthYear, birthMonth, birthDay] = birthDate.split('-').map(Number) as [
    number,
    number,
    number,
  ];
  const [year, month, day] = onDate.split('-').map(Number) as [number, number, number];
  const hasHadBirthday = month > birthMonth || (month === birthMonth && day >= birthDay);
  return year - birthYear - (hasHadBirthday ? 0 : 1);
}
