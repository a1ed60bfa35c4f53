// Go's base64.StdEncoding as encoding/json uses it for []byte fields (PROTOCOL.md §3.1): padding required,
// '\r' and '\n' ignored, anything else malformed is `illegal base64 data at input byte N`. Node's decoder is
// lenient (no padding, URL alphabet), so input is checked before Buffer.from does the decoding.

const PADDED = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isAlphabet(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
}

function isNewline(c: number): boolean {
  return c === 0x0a || c === 0x0d;
}

/** Byte offset Go reports for malformed input (`CorruptInputError`), or -1 when Go would accept it. */
export function goBase64ErrorOffset(s: string): number {
  const n = s.length;
  let si = 0;
  for (;;) {
    // one quantum of up to four alphabet characters, newlines skipped
    let j = 0;
    while (j < 4) {
      while (si < n && isNewline(s.charCodeAt(si))) si++;
      if (si === n) {
        if (j === 0) return -1;
        return si - j; // a partial quantum without padding
      }
      const c = s.charCodeAt(si);
      si++;
      if (isAlphabet(c)) {
        j++;
        continue;
      }
      if (c !== 0x3d) return si - 1;
      // padding: only after two or three characters of a quantum
      if (j < 2) return si - 1;
      if (j === 2) {
        while (si < n && isNewline(s.charCodeAt(si))) si++;
        if (si === n) return n;
        if (s.charCodeAt(si) !== 0x3d) return si - 1;
        si++;
      }
      while (si < n && isNewline(s.charCodeAt(si))) si++;
      return si < n ? si : -1;
    }
  }
}

/** Decodes padded standard base64, or returns the offset of the first error (Go's wording is the caller's). */
export function decodeGoBase64(s: string): Buffer | number {
  if (PADDED.test(s)) return Buffer.from(s, 'base64');
  const offset = goBase64ErrorOffset(s);
  if (offset >= 0) return offset;
  // valid apart from line breaks
  return Buffer.from(s.replace(/[\r\n]/g, ''), 'base64');
}
