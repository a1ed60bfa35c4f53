// A JSON string literal exactly as Go's json.Marshal writes it (HTML escaping on, PROTOCOL.md §3.1):
// `<`, `>`, `&`, U+2028 and U+2029 as \u00XX / \u20XX, \b \f \n \r \t short, other controls as \u00XX,
// invalid UTF-16 (a lone surrogate, which Go would see as invalid UTF-8) as \ufffd.

// eslint-disable-next-line no-control-regex -- control characters are what Go escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;
const HEX = '0123456789abcdef';

function escapeSlow(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (c < 0x20) {
      if (c === 0x08) rep = '\\b';
      else if (c === 0x0c) rep = '\\f';
      else if (c === 0x0a) rep = '\\n';
      else if (c === 0x0d) rep = '\\r';
      else if (c === 0x09) rep = '\\t';
      else rep = '\\u00' + HEX[c >> 4] + HEX[c & 0xf];
    } else if (c === 0x3c) rep = '\\u003c';
    else if (c === 0x3e) rep = '\\u003e';
    else if (c === 0x26) rep = '\\u0026';
    else if (c === 0x2028) rep = '\\u2028';
    else if (c === 0x2029) rep = '\\u2029';
    else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid pair passes through
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

export function goJsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? escapeSlow(s) : '"' + s + '"';
}
