// An incremental HTTP/1.1 response reader for the herd's raw keep-alive sockets: one request in flight per socket,
// so it only needs the status, the body (Content-Length or chunked) and whether the server will close.

export interface HttpReply {
  readonly status: number;
  readonly body: string;
  /** The server said `Connection: close` (or spoke HTTP/1.0 without keep-alive). */
  readonly close: boolean;
}

export class HttpReplyError extends Error {
  override readonly name = 'HttpReplyError';
}

const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;

export class HttpReplyReader {
  private buffer: Buffer = Buffer.alloc(0);
  private head: { status: number; close: boolean; length: number | 'chunked' } | undefined;

  /** Feeds bytes; returns the reply once complete (the reader is then reset for the next one). */
  push(chunk: Buffer): HttpReply | undefined {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.head === undefined) {
      const end = this.buffer.indexOf(HEADER_END);
      if (end < 0) {
        if (this.buffer.length > MAX_HEAD_BYTES) throw new HttpReplyError('response head too large');
        return undefined;
      }
      this.head = parseHead(this.buffer.toString('latin1', 0, end));
      this.buffer = this.buffer.subarray(end + HEADER_END.length);
    }
    const head = this.head;
    let body: string | undefined;
    if (head.length === 'chunked') {
      const decoded = decodeChunked(this.buffer);
      if (decoded === undefined) return undefined;
      body = decoded.body;
      this.buffer = this.buffer.subarray(decoded.consumed);
    } else {
      if (this.buffer.length < head.length) return undefined;
      body = this.buffer.toString('utf8', 0, head.length);
      this.buffer = this.buffer.subarray(head.length);
    }
    this.head = undefined;
    return { status: head.status, body, close: head.close };
  }

  reset(): void {
    this.buffer = Buffer.alloc(0);
    this.head = undefined;
  }
}

function parseHead(text: string): { status: number; close: boolean; length: number | 'chunked' } {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (statusLine === null) throw new HttpReplyError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0])}`);
  let length: number | 'chunked' = 0;
  let connection = '';
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) throw new HttpReplyError(`bad content-length ${JSON.stringify(value)}`);
      if (length !== 'chunked') length = Number(value);
    } else if (name === 'transfer-encoding' && value.toLowerCase().includes('chunked')) {
      length = 'chunked';
    } else if (name === 'connection') {
      connection = value.toLowerCase();
    }
  }
  const http10 = statusLine[1] === '0';
  return {
    status: Number(statusLine[2]),
    close: connection === 'close' || (http10 && connection !== 'keep-alive'),
    length,
  };
}

/** The body once every chunk (and the terminating zero chunk and trailers) arrived. */
function decodeChunked(buffer: Buffer): { body: string; consumed: number } | undefined {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(buffer.toString('latin1', at, lineEnd).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) throw new HttpReplyError('bad chunk size');
    at = lineEnd + 2;
    if (size === 0) {
      // Trailers end with an empty line.
      const end = buffer.indexOf('\r\n', at);
      if (end < 0) return undefined;
      if (end !== at) {
        const trailersEnd = buffer.indexOf(HEADER_END, at);
        if (trailersEnd < 0) return undefined;
        return { body: Buffer.concat(parts).toString('utf8'), consumed: trailersEnd + HEADER_END.length };
      }
      return { body: Buffer.concat(parts).toString('utf8'), consumed: end + 2 };
    }
    if (buffer.length < at + size + 2) return undefined;
    parts.push(buffer.subarray(at, at + size));
    at += size + 2;
  }
}
