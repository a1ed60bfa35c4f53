// Tag and service normalisation of the trace-agent (pkg/trace/traceutil), applied to client_tracer.env and
// client_tracer.service before ClientGetConfigs (PROTOCOL.md §3.2), so predicates see the normalised values.

const MAX_TAG_CHARS = 200;
const MAX_SERVICE_BYTES = 100;
const DEFAULT_SERVICE = 'unnamed-service';

// Already normalised ASCII: starts with a letter or ':', an '_' only between two valid characters.
const NORMALIZED_ASCII = /^[a-z:](?:[a-z0-9:./-]|_(?=[a-z0-9:./-]))*$/;
const UPPER = /\p{Lu}/u;
const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

function utf8Length(cp: number): number {
  if (cp < 0x80) return 1;
  if (cp < 0x800) return 2;
  if (cp < 0x10000) return 3;
  return 4;
}

/**
 * Lower-cases; drops leading characters until a letter or ':'; keeps letters, digits and `:./-`; turns each run
 * of other characters (`_` included) into one `_` and drops a trailing run; stops at 200 characters.
 */
export function normalizeTag(v: string): string {
  if (v.length <= MAX_TAG_CHARS && NORMALIZED_ASCII.test(v)) return v;
  if (v === '') return '';
  let out = '';
  let chars = 0;
  let bytes = 0;
  let inCut = false;
  for (const ch of v) {
    let c = ch;
    let cp = c.codePointAt(0) as number;
    // a lone surrogate is invalid UTF-8 to Go: one replacement character
    if (cp >= 0xd800 && cp <= 0xdfff) {
      c = '\ufffd';
      cp = 0xfffd;
    }
    const width = utf8Length(cp);
    let kind: 'keep' | 'trim' | 'cut';
    if ((cp >= 0x61 && cp <= 0x7a) || cp === 0x3a) kind = 'keep';
    else if (cp >= 0x41 && cp <= 0x5a) {
      c = String.fromCharCode(cp + 0x20);
      kind = 'keep';
    } else {
      if (cp >= 0x80 && UPPER.test(c)) {
        // only when the lower-case form has the same UTF-8 width (Go edits the bytes in place)
        const low = c.toLowerCase();
        const lowCp = low.codePointAt(0) as number;
        if ([...low].length === 1 && utf8Length(lowCp) === width) c = low;
      }
      if (LETTER.test(c)) kind = 'keep';
      else if (chars === 0) kind = 'trim';
      else if (c === '.' || c === '/' || c === '-' || DIGIT.test(c)) kind = 'keep';
      else kind = 'cut';
    }
    if (kind === 'keep') {
      if (inCut) out += '_';
      inCut = false;
      out += c;
      chars++;
    } else if (kind === 'cut') {
      inCut = true;
      chars++;
    }
    bytes += width;
    // bail out on long runs of non-letters (Go: 2 × the maximum length in bytes)
    if (bytes >= 2 * MAX_TAG_CHARS || chars >= MAX_TAG_CHARS) break;
  }
  // a run reaching the end is dropped, not replaced
  return out;
}

function truncateUtf8(s: string, maxBytes: number): string {
  // 3 UTF-8 bytes at most per UTF-16 unit
  if (s.length * 3 <= maxBytes) return s;
  const buf = Buffer.from(s, 'utf8');
  if (buf.length <= maxBytes) return s;
  let end = maxBytes;
  // back up to the start of a rune
  while (end > 0 && ((buf[end] as number) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** Truncates to 100 bytes at a rune boundary, then normalizeTag; empty becomes `unnamed-<lang>-service`. */
export function normalizeService(service: string, lang: string): string {
  const fallback = lang === '' ? DEFAULT_SERVICE : `unnamed-${lang}-service`;
  if (service === '') return fallback;
  const s = normalizeTag(truncateUtf8(service, MAX_SERVICE_BYTES));
  return s === '' ? fallback : s;
}
