/**
 * Strict JSON parsing for request bodies. JSON.parse keeps the last of two equal keys, so a
 * body like {"amount":1,"amount":1000} could be read one way by a proxy or a log and another
 * way here; such bodies are refused (RFC 7493), as are keys that touch prototypes.
 */
export type StrictJsonResult =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'malformed' | 'duplicate_key' | 'forbidden_key' };

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function parseStrictJson(text: string): StrictJsonResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
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
