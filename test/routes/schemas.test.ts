import { describe, expect, it } from 'vitest';
import { text } from '../../src/routes/schemas';

const singleLine = text({ min: 1, max: 20 });
const multiline = text({ min: 1, max: 40, multiline: true });

describe('text()', () => {
  it.each([
    ['a soft hyphen', 'Ada\u00ADLovelace'],
    ['a word joiner', 'Ada\u2060Lovelace'],
    ['a Hangul filler', 'Ada\u3164'],
    ['an Arabic letter mark', 'Ada\u061C'],
    ['a line separator', 'Ada\u2028Lovelace'],
    ['a leading byte order mark', '\uFEFFAda'],
    ['a lone high surrogate', 'Ada\uD800'],
    ['a lone low surrogate', '\uDC00Ada'],
    ['a non-character', 'Ada\uFFFF'],
    ['a leading tab', '\t=1+1'],
    ['a right-to-left override', 'Ada\u202Eecalevol'],
  ])('refuses %s instead of trimming or keeping it', (_label, value) => {
    expect(singleLine.safeParse(value).success).toBe(false);
  });

  it('keeps letters from every script, emoji and ordinary inner spaces', () => {
    for (const value of ['Ada Lovelace', 'Zoë Ñúñez', 'Żółć', '李小龍', 'مرحبا', 'bank 🏦']) {
      expect(singleLine.parse(value)).toBe(value);
    }
  });

  it('trims ordinary spaces around the text', () => {
    expect(singleLine.parse('  Ada  ')).toBe('Ada');
  });

  it('allows line breaks only in multiline fields', () => {
    expect(multiline.parse('1 Main St\r\nSpringfield')).toBe('1 Main St\r\nSpringfield');
    expect(singleLine.safeParse('1 Main St\nSpringfield').success).toBe(false);
  });

  it('counts the limit after trimming: 20 characters pass, 21 do not', () => {
    expect(singleLine.parse(` ${'a'.repeat(20)} `)).toBe('a'.repeat(20));
    expect(singleLine.safeParse('a'.repeat(21)).success).toBe(false);
  });
});
