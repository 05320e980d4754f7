import { describe, expect, it } from 'vitest';
import { parseStrictJson } from '../../src/lib/json';

describe('parseStrictJson', () => {
  it('returns the parsed value of a body with distinct keys', () => {
    const text = '{"amount":"10.00","tags":[1,{"a":null}],"nested":{"b":true}}';
    expect(parseStrictJson(text)).toEqual({
      ok: true,
      value: { amount: '10.00', tags: [1, { a: null }], nested: { b: true } },
    });
  });

  it.each([
    ['a top-level scalar', '42', 42],
    ['a top-level string', '"text"', 'text'],
    ['an empty object', '{}', {}],
    ['an empty array', '[]', []],
  ])('accepts %s', (_name, text, value) => {
    expect(parseStrictJson(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['at the top level', '{"amount":1,"amount":1000}'],
    ['with whitespace around the keys', '{ "amount" : 1 ,\n "amount" : 1000 }'],
    ['in a nested object', '{"transfer":{"amount":1,"amount":1000}}'],
    ['two levels deep', '{"a":{"b":{"c":1,"c":2}}}'],
    ['inside an object in an array', '[{"a":1},{"b":1,"b":2}]'],
    ['after a nested array closes', '{"a":[1,2,3],"a":4}'],
    ['after an array of objects closes', '{"a":[{"b":1},{"b":2}],"c":1,"c":2}'],
    ['after a nested object closes', '{"a":{"x":1},"b":2,"a":3}'],
    ['spelled with a \\u escape', '{"a\\u0061":1,"aa":2}'],
    ['spelled with an escape for every character', '{"\\u0061\\u0062":1,"ab":2}'],
    ['spelled with an escaped solidus', '{"a/b":1,"a\\/b":2}'],
    ['after a string value holding an escaped backslash', '{"a":"\\\\","a":1}'],
    ['after a string value holding braces and quotes', '{"a":"{\\"a\\":1}","a":2}'],
    ['that contains an escaped quote', '{"say \\"hi\\"":1,"say \\"hi\\"":2}'],
  ])('refuses a repeated key %s', (_name, text) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, reason: 'duplicate_key' });
  });

  it.each([
    ['in sibling objects', '{"a":{"x":1},"b":{"x":2}}'],
    ['in different objects of an array', '[{"a":1},{"a":2}]'],
    ['at different depths', '{"a":{"a":{"a":1}}}'],
    ['as a key and as a string value', '{"a":"a","b":"a"}'],
    ['in objects that follow one another in an array', '[{"a":[{"a":1}]},{"a":2}]'],
  ])('accepts the same name %s', (_name, text) => {
    expect(parseStrictJson(text)).toMatchObject({ ok: true });
  });

  it.each([
    ['the key "__proto__"', '{"__proto__":{"isAdmin":true}}'],
    ['the key "constructor"', '{"constructor":{"prototype":{}}}'],
    ['the key "prototype"', '{"prototype":1}'],
    ['"__proto__" in a nested object', '{"a":{"b":{"__proto__":1}}}'],
    ['"__proto__" in an object inside an array', '[1,{"__proto__":1}]'],
    ['"__proto__" spelled with a \\u escape', '{"__pro\\u0074o__":1}'],
  ])('refuses %s', (_name, text) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, reason: 'forbidden_key' });
  });

  it('accepts "__proto__" as a string value rather than a key', () => {
    expect(parseStrictJson('{"a":"__proto__","b":["constructor"]}')).toEqual({
      ok: true,
      value: { a: '__proto__', b: ['constructor'] },
    });
  });

  it.each([
    ['braces in string values', '{"a":"}{","b":"{}{"}', { a: '}{', b: '{}{' }],
    ['brackets in string values', '{"a":"][","b":"[[["}', { a: '][', b: '[[[' }],
    ['commas and colons in string values', '{"a":",\\"a\\":","b":":,"}', { a: ',"a":', b: ':,' }],
    ['escaped quotes in string values', '{"a":"\\"hi\\"","b":"\\""}', { a: '"hi"', b: '"' }],
    ['an escaped backslash ending a string value', '{"a":"c:\\\\","b":1}', { a: 'c:\\', b: 1 }],
    ['braces in keys', '{"{":1,"}":2,"[":3}', { '{': 1, '}': 2, '[': 3 }],
    ['escaped quotes in keys', '{"a\\"":1,"a\\"\\"":2}', { 'a"': 1, 'a""': 2 }],
  ])('is not confused by %s', (_name, text, value) => {
    expect(parseStrictJson(text)).toEqual({ ok: true, value });
  });

  it.each([
    ['the empty string', ''],
    ['a trailing comma', '{"a":1,}'],
    ['an unquoted key', '{a:1}'],
    ['single quotes', "{'a':1}"],
    ['an unclosed object', '{"a":1'],
    ['an unclosed string', '{"a":"b}'],
    ['NaN', '{"a":NaN}'],
    ['a comment', '{"a":1 /* note */}'],
    ['two values', '{"a":1}{"b":2}'],
    ['a repeated key in a body that is malformed anyway', '{"a":1,"a":2,}'],
  ])('refuses %s as malformed JSON', (_name, text) => {
    expect(parseStrictJson(text)).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['an exponent', '{"amount":1e3}', '1e3'],
    ['a capital exponent with a sign', '{"amount":1E+2}', '1E+2'],
    [
      'more decimals than a double keeps',
      '{"amount":100.10000000000000001}',
      '100.10000000000000001',
    ],
    ['three decimals', '{"amount":12.500}', '12.500'],
  ])('hands on a number written with %s as its source text', (_name, text, source) => {
    expect(parseStrictJson(text)).toEqual({ ok: true, value: { amount: source } });
  });

  it.each([
    ['a whole number', '{"n":42}', 42],
    ['two decimals', '{"n":12.05}', 12.05],
    ['a negative number', '{"n":-3.5}', -3.5],
    ['numbers in an array', '[1,2.25]', [1, 2.25]],
  ])('keeps %s a number', (_name, text, value) => {
    const parsed = parseStrictJson(text);
    expect(parsed).toEqual({ ok: true, value: typeof value === 'number' ? { n: value } : value });
  });
});
