/**
 * Strict JSON parsing for request bodies. JSON.parse keeps the last of two equal keys, so a
 * body like {"amount":1,"amount":1000} could be read one way by a proxy or a log and another
 * way here; such bodies are refused (RFC 7493), as are keys that touch prototypes.
 */
export type StrictJsonResult =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'malformed' | 'duplicate_key' | 'forbidden_key' };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A number written the way a person writes an amount or a count: no exponent, two places. */
const PLAIN_NUMBER = /^-?\d+(\.\d{1,2})?$/;

/**
 * A number literal with an exponent or more than two decimals (1e3, 100.10000000000000001)
 * would reach validation as whatever double it rounds to, and pass as an amount it does not
 * spell. Such literals are handed on as their source text instead, which every numeric field
 * then refuses for what it is.
 */
function keepUnusualNumbersAsText(_key: string, value: unknown, context?: { source?: string }) {
  if (typeof value !== 'number' || context?.source === undefined) return value;
  return PLAIN_NUMBER.test(context.source) ? value : context.source;
}

export function parseStrictJson(text: string): StrictJsonResult {
  let value: unknown;
  try {
    // The reviver's third argument (JSON.parse source text access) is in every V8 since 11.4.
    value = JSON.parse(text, keepUnusualNumbersAsText as Parameters<typeof JSON.parse>[1]);
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const problem = findKeyProblem(text);
  return problem ? { ok: false, reason: problem } : { ok: true, value };
}

/** Walks already valid JSON text and reports a duplicate or forbidden object key. */
function findKeyProblem(text: string): 'duplicate_key' | 'forbidden_key' | null {
  // One entry per open container: the keys seen so far for an object, null for an array.
  const stack: (Set<string> | null)[] = [];
  let expectingKey = false;
  let index = 0;
  while (index < text.length) {
    const char = text[index];
    if (char === '"') {
      const end = endOfString(text, index);
      const top = stack[stack.length - 1];
      if (expectingKey && top) {
        const key = JSON.parse(text.slice(index, end + 1)) as string;
        if (FORBIDDEN_KEYS.has(key)) return 'forbidden_key';
        if (top.has(key)) return 'duplicate_key';
        top.add(key);
        expectingKey = false;
      }
      index = end + 1;
      continue;
    }
    if (char === '{') {
      stack.push(new Set());
      expectingKey = true;
    } else if (char === '[') {
      stack.push(null);
    } else if (char === '}' || char === ']') {
      stack.pop();
    } else if (char === ',') {
      expectingKey = stack[stack.length - 1] instanceof Set;
    }
    index++;
  }
  return null;
}

/** Index of the closing quote of the string starting at `start`. */
function endOfString(text: string, start: number): number {
  let index = start + 1;
  while (index < text.length) {
    if (text[index] === '\\') index += 2;
    else if (text[index] === '"') return index;
    else index++;
  }
  return text.length - 1;
}
