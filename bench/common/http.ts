// Small HTTP helpers for talking to the agent under test (loopback only).
import { request } from 'undici';
import { BenchError } from '../error.js';

export async function getText(url: string, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  const res = await request(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.statusCode, text: await res.body.text() };
}

/** Polls `<httpUrl>/readyz` until 200: the agent has published its first verified snapshot. */
export async function waitReady(
  httpUrl: string,
  timeoutMs: number,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive()) throw new BenchError('AGENT_NOT_READY', `the agent at ${httpUrl} exited before it was ready`);
    try {
      const { status, text } = await getText(`${httpUrl}/readyz`, 1000);
      if (status === 200) return;
      last = `${status} ${text.trim()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new BenchError('AGENT_NOT_READY', `${httpUrl}/readyz not 200 within ${timeoutMs} ms (last: ${last})`);
}
