// Sequence IDs continue across restarts: the data dir keeps the highest ID reserved, in blocks, so a restarted
// agent starts above every ID it may have sent and a consumer's `lastSeqId` check keeps working.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SEQUENCE_FILE = 'config_stream_sequence.json';
const BLOCK = 1000;
/** ConfigSnapshot.sequence_id is an int32 */
const INT32_MAX = 2 ** 31 - 1;

export class SequenceCounter {
  private current: number;
  private reservedThrough: number;

  /** Without a directory the IDs start at 1 and are not kept (tests, the consumer side). */
  constructor(private readonly dir?: string) {
    const previous = dir === undefined ? 0 : readReserved(dir);
    this.current = previous + 1;
    this.reservedThrough = previous;
    this.reserve();
  }

  get value(): number {
    return this.current;
  }

  next(): number {
    if (this.current >= INT32_MAX) throw new RangeError('config stream sequence IDs exhausted');
    this.current++;
    this.reserve();
    return this.current;
  }

  private reserve(): void {
    if (this.current <= this.reservedThrough) return;
    this.reservedThrough = Math.min(INT32_MAX, this.current + BLOCK - 1);
    if (this.dir === undefined) return;
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, SEQUENCE_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify({ reservedThrough: this.reservedThrough }));
    renameSync(`${file}.tmp`, file);
  }
}

function readReserved(dir: string): number {
  let text: string;
  try {
    text = readFileSync(join(dir, SEQUENCE_FILE), 'utf8');
  } catch {
    return 0;
  }
  try {
    const n = (JSON.parse(text) as { reservedThrough?: unknown }).reservedThrough;
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < INT32_MAX ? n : 0;
  } catch {
    return 0;
  }
}
