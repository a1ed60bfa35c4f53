// The message Go's encoding/json gives for input that is not JSON (PROTOCOL.md §3.2: a 400 carries the Go error).
// Only called after JSON.parse has failed: both accept exactly RFC 8259, so this scanner only has to find the
// first offending byte and word it the way Go's scanner does.

const EOF_MESSAGE = 'unexpected end of JSON input';

const enum Container {
  Array,
  Object,
}

class Syntax extends Error {}

/** Go's `quoteChar`: the byte as a rune, quoted like strconv.Quote but between single quotes. */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return "'\\''";
  if (c === 0x22) return `'"'`;
  switch (c) {
    case 0x07:
      return "'\\a'";
    case 0x08:
      return "'\\b'";
    case 0x0c:
      return "'\\f'";
    case 0x0a:
      return "'\\n'";
    case 0x0d:
      return "'\\r'";
    case 0x09:
      return "'\\t'";
    case 0x0b:
      return "'\\v'";
    case 0x5c:
      return "'\\\\'";
  }
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  // C1 controls, NBSP and the soft hyphen are not printable for strconv.IsPrint
  if ((c >= 0x80 && c < 0xa0) || c === 0xa0 || c === 0xad) return `'\\u00${c.toString(16)}'`;
  return `'${String.fromCharCode(c)}'`;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Returns Go's syntax error message for `input`, or undefined when it is valid JSON. */
export function goJsonSyntaxMessage(input: Uint8Array): string | undefined {
  const n = input.length;
  let i = 0;
  const stack: Container[] = [];

  const fail = (c: number, context: string): never => {
    throw new Syntax(`invalid character ${goQuoteChar(c)} ${context}`);
  };
  const eof = (): never => {
    throw new Syntax(EOF_MESSAGE);
  };
  const at = (): number => {
    if (i >= n) eof();
    return input[i] as number;
  };
  const skipWhitespace = (): void => {
    while (i < n && isWhitespace(input[i] as number)) i++;
  };
  const scanString = (): void => {
    i++; // opening quote
    for (;;) {
      const c = at();
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        i++;
        const e = at();
        if (e === 0x75) {
          i++;
          for (let k = 0; k < 4; k++) {
            const h = at();
            if (!isHex(h)) fail(h, 'in \\u hexadecimal character escape');
            i++;
          }
          continue;
        }
        // " \ / b f n r t
        if (
          e === 0x22 ||
          e === 0x5c ||
          e === 0x2f ||
          e === 0x62 ||
          e === 0x66 ||
          e === 0x6e ||
          e === 0x72 ||
          e === 0x74
        ) {
          i++;
          continue;
        }
        fail(e, 'in string escape code');
      }
      if (c < 0x20) fail(c, 'in string literal');
      i++;
    }
  };
  const scanDigits = (): void => {
    while (i < n && isDigit(input[i] as number)) i++;
  };
  const scanNumber = (): void => {
    if (input[i] === 0x2d) {
      i++;
      const c = at();
      if (!isDigit(c)) fail(c, 'in numeric literal');
    }
    if (input[i] === 0x30) i++;
    else scanDigits();
    if (i < n && input[i] === 0x2e) {
      i++;
      const c = at();
      if (!isDigit(c)) fail(c, 'after decimal point in numeric literal');
      scanDigits();
    }
    if (i < n && (input[i] === 0x65 || input[i] === 0x45)) {
      i++;
      let c = at();
      if (c === 0x2b || c === 0x2d) {
        i++;
        c = at();
      }
      if (!isDigit(c)) fail(c, 'in exponent of numeric literal');
      scanDigits();
    }
  };
  const scanLiteral = (word: string): void => {
    i++;
    for (let k = 1; k < word.length; k++) {
      const want = word.charCodeAt(k);
      const c = at();
      if (c !== want) fail(c, `in literal ${word} (expecting '${word[k]}')`);
      i++;
    }
  };
  const scanKey = (): void => {
    const c = at();
    if (c !== 0x22) fail(c, 'looking for beginning of object key string');
    scanString();
    skipWhitespace();
    const colon = at();
    if (colon !== 0x3a) fail(colon, 'after object key');
    i++;
  };

  try {
    // Go scanner states, flattened: "begin value" then "end value" until the input is exhausted.
    for (;;) {
      skipWhitespace();
      const c = at();
      let scalar = true;
      if (c === 0x7b) {
        i++;
        skipWhitespace();
        if (at() === 0x7d) i++;
        else {
          scanKey();
          stack.push(Container.Object);
          scalar = false;
        }
      } else if (c === 0x5b) {
        i++;
        skipWhitespace();
        if (at() === 0x5d) i++;
        else {
          stack.push(Container.Array);
          scalar = false;
        }
      } else if (c === 0x22) scanString();
      else if (c === 0x2d || isDigit(c)) scanNumber();
      else if (c === 0x74) scanLiteral('true');
      else if (c === 0x66) scanLiteral('false');
      else if (c === 0x6e) scanLiteral('null');
      else fail(c, 'looking for beginning of value');
      if (!scalar) continue;

      // end of a value: close containers, or move to the next element
      for (;;) {
        skipWhitespace();
        const top = stack[stack.length - 1];
        if (top === undefined) {
          if (i < n) fail(input[i] as number, 'after top-level value');
          return undefined;
        }
        const d = at();
        if (top === Container.Object) {
          if (d === 0x2c) {
            i++;
            skipWhitespace();
            scanKey();
            break;
          }
          if (d !== 0x7d) fail(d, 'after object key:value pair');
        } else {
          if (d === 0x2c) {
            i++;
            break;
          }
          if (d !== 0x5d) fail(d, 'after array element');
        }
        i++;
        stack.pop();
      }
    }
  } catch (e) {
    if (e instanceof Syntax) return e.message;
    throw e;
  }
}
