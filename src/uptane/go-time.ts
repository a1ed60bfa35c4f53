// Time formats the reference uses: RFC 3339 in metadata (`expires`), Go's `Time.String()` in error messages.

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

export interface ParsedTime {
  /** epoch milliseconds (fractions below 1 ms dropped) */
  readonly ms: number;
  /** nanoseconds within the second, for printing */
  readonly nanos: number;
  /** zone offset in minutes; undefined for `Z` (UTC) */
  readonly offsetMin: number | undefined;
}

/** Parse an RFC 3339 timestamp the way Go's `time.Time.UnmarshalJSON` accepts it; undefined if invalid. */
export function parseRfc3339(text: string): ParsedTime | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const frac = m[7] ?? '';
  const nanos = frac === '' ? 0 : Number((frac.slice(1) + '000000000').slice(0, 9));
  let offsetMin: number | undefined;
  if (m[8] === undefined) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, Math.floor(nanos / 1e6));
  return { ms: d.getTime() - (offsetMin ?? 0) * 60_000, nanos, offsetMin };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Go `Time.String()` of a UTC instant: `2026-11-22 09:45:03 +0000 UTC` (fractions only when non-zero). */
export function formatGoTime(ms: number): string {
  const floorMs = Math.floor(ms);
  return formatGo(floorMs, (((floorMs % 1000) + 1000) % 1000) * 1e6, undefined);
}

/** Go `Time.String()` of a parsed RFC 3339 time, in the zone it was written in (as go-tuf prints `expires`). */
export function formatGoParsedTime(t: ParsedTime): string {
  return formatGo(t.ms, t.nanos, t.offsetMin);
}

function formatGo(ms: number, nanos: number, offsetMin: number | undefined): string {
  const d = new Date(ms + (offsetMin ?? 0) * 60_000);
  const frac = nanos === 0 ? '' : '.' + String(nanos).padStart(9, '0').replace(/0+$/, '');
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${frac}`;
  if (offsetMin === undefined) return `${date} ${time} +0000 UTC`;
  // A fixed zone without a name prints its offset twice (`+0100 +0100`).
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const zone = `${sign}${pad(Math.floor(abs / 60), 2)}${pad(abs % 60, 2)}`;
  return `${date} ${time} ${zone} ${zone}`;
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the `expires` layout the signer writes (PROTOCOL.md §5.2). */
export function formatRfc3339Seconds(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}Z`
  );
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
