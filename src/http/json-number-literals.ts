// A second parse of a body JSON.parse already accepted, keeping every number's literal text: Go's encoding/json
// decides on the literal (`1.0` is not an integer, 2^64 − 1 is exact), a double cannot tell. Only for the rare
// bodies that need it (decode-request.ts); the input is known to be valid JSON.

/** A JSON number as written. */
export class NumberLiteral {
  constructor(readonly text: string) {}
}

export type JsonWithLiterals =
  null | boolean | string | NumberLiteral | JsonWithLiterals[] | { [key: string]: JsonWithLiterals };

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

type Container = JsonWithLiterals[] | { [key: string]: JsonWithLiterals };

/**
 * Parses valid JSON; numbers become NumberLiteral, objects have no prototype (so `__proto__` is a plain key).
 * Iterative: any depth JSON.parse accepted is fine here too.
 */
export function parseJsonKeepingNumbers(text: string): JsonWithLiterals {
  let i = 0;
  const skip = (): void => {
    WHITESPACE.lastIndex = i;
    WHITESPACE.test(text);
    i = WHITESPACE.lastIndex;
  };
  // the closing quote is the first one not escaped by an odd run of backslashes
  const string = (): string => {
    const start = i;
    for (;;) {
      const q = text.indexOf('"', i + 1);
      let backslashes = 0;
      while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
      i = q;
      if (backslashes % 2 === 0) break;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const scalar = (c: number): JsonWithLiterals => {
    if (c === 0x22) return string();
    if (c === 0x74) {
      i += 4;
      return true;
    }
    if (c === 0x66) {
      i += 5;
      return false;
    }
    if (c === 0x6e) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m === null) throw new SyntaxError(`not JSON at offset ${i}`);
    i = NUMBER.lastIndex;
    return new NumberLiteral(m[0]);
  };

  // open containers, each with the key its next value goes to (objects)
  const stack: Array<{ container: Container; key: string }> = [];
  let result: JsonWithLiterals = null;
  let expectValue = true;
  for (;;) {
    skip();
    let v: JsonWithLiterals | undefined;
    if (expectValue) {
      const c = text.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) {
        i++;
        const container: Container = c === 0x7b ? (Object.create(null) as Record<string, JsonWithLiterals>) : [];
        skip();
        const close = text.charCodeAt(i);
        if (close === 0x7d || close === 0x5d) {
          i++;
          v = container;
        } else {
          const entry = { container, key: '' };
          stack.push(entry);
          if (!Array.isArray(container)) {
            entry.key = string();
            skip();
            i++; // ':'
          }
          continue;
        }
      } else v = scalar(c);
      // place the value
      const top = stack[stack.length - 1];
      if (top === undefined) return v;
      if (Array.isArray(top.container)) top.container.push(v);
      else top.container[top.key] = v;
      expectValue = false;
      continue;
    }
    // after a value: ',' or a closing bracket
    const top = stack[stack.length - 1] as { container: Container; key: string };
    const c = text.charCodeAt(i++);
    if (c === 0x2c) {
      if (!Array.isArray(top.container)) {
        skip();
        top.key = string();
        skip();
        i++; // ':'
      }
      expectValue = true;
      continue;
    }
    stack.pop();
    result = top.container;
    const parent = stack[stack.length - 1];
    if (parent === undefined) return result;
    if (Array.isArray(parent.container)) parent.container.push(result);
    else parent.container[parent.key] = result;
  }
}
