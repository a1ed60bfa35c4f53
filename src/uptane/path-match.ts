// Go `path.Match` for delegation `paths` globs: `*` and `?` never cross `/`; a malformed pattern matches nothing
// (go-tuf ignores the error).

const cache = new Map<string, RegExp | null>();

export function pathMatch(pattern: string, name: string): boolean {
  let re = cache.get(pattern);
  if (re === undefined) {
    re = compile(pattern);
    if (cache.size > 1024) cache.clear();
    cache.set(pattern, re);
  }
  return re !== null && re.test(name);
}

function escapeChar(c: string, inClass = false): string {
  // In unicode mode only syntax characters (and `-` inside a class) may be escaped.
  return /[\\^$.*+?()[\]{}|/]/.test(c) || (inClass && c === '-') ? `\\${c}` : c;
}

function compile(pattern: string): RegExp | null {
  const chars = [...pattern];
  let out = '^';
  let i = 0;
  // A class member, possibly escaped; `-` and `]` must be escaped (Go `getEsc`).
  const member = (): string | null => {
    const c = chars[i];
    if (c === undefined || c === '-' || c === ']') return null;
    if (c === '\\') {
      const e = chars[i + 1];
      if (e === undefined) return null;
      i += 2;
      return e;
    }
    i += 1;
    return c;
  };
  while (i < chars.length) {
    const c = chars[i]!;
    if (c === '*') {
      out += '[^/]*';
      i++;
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '\\') {
      const e = chars[i + 1];
      if (e === undefined) return null;
      out += escapeChar(e);
      i += 2;
    } else if (c === '[') {
      i++;
      let cls = '[';
      if (chars[i] === '^') {
        cls += '^';
        i++;
      }
      let ranges = 0;
      for (;;) {
        if (chars[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        const lo = member();
        if (lo === null) return null;
        let hi = lo;
        if (chars[i] === '-') {
          i++;
          const h = member();
          if (h === null) return null;
          hi = h;
        }
        if (hi < lo) return null;
        cls += lo === hi ? escapeChar(lo, true) : `${escapeChar(lo, true)}-${escapeChar(hi, true)}`;
        ranges++;
      }
      out += cls + ']';
    } else {
      out += escapeChar(c);
      i++;
    }
  }
  try {
    return new RegExp(out + '$', 'u');
  } catch {
    return null;
  }
}
