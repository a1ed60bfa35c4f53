// A remote agent's registry session: registers, refreshes every recommended interval, registers again when the
// session was lost (agent restarted, session expired). Serves as the consumer's session ID provider.
import { systemClock, type Clock } from '../service/index.js';
import type { IRegisterRemoteAgentRequest } from '../proto/index.js';
import { ConfigStreamError } from './error.js';
import type { RemoteAgentClient } from './client.js';

export interface SessionIdProvider {
  /** The current session ID, registering first when there is none. */
  waitSessionId(signal: AbortSignal): Promise<string>;
  /** The server refused the session: the next waitSessionId registers again. */
  invalidate?(sessionId: string): void;
}

export interface RegisteredSessionOptions {
  readonly client: RemoteAgentClient;
  readonly registration: IRegisterRemoteAgentRequest;
  readonly clock?: Clock;
  readonly onError?: (err: Error) => void;
}

export class RegisteredSession implements SessionIdProvider {
  private sessionId: string | undefined;
  private registering: Promise<string> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly clock: Clock;

  constructor(private readonly options: RegisteredSessionOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get current(): string | undefined {
    return this.sessionId;
  }

  async waitSessionId(signal: AbortSignal): Promise<string> {
    if (this.closed) throw new ConfigStreamError('CLOSED', 'session closed');
    if (this.sessionId !== undefined) return this.sessionId;
    this.registering ??= this.register().finally(() => (this.registering = undefined));
    return await new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(new ConfigStreamError('ABORTED', 'aborted while registering'));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      (this.registering as Promise<string>).then(resolve, reject).finally(() => {
        signal.removeEventListener('abort', onAbort);
      });
    });
  }

  invalidate(sessionId: string): void {
    if (this.sessionId === sessionId) this.sessionId = undefined;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  private async register(): Promise<string> {
    let res;
    try {
      res = await this.options.client.register(this.options.registration);
    } catch (cause) {
      throw new ConfigStreamError('REGISTRATION_FAILED', `registering with the agent failed: ${String(cause)}`, {
        cause,
      });
    }
    if (!res.sessionId) throw new ConfigStreamError('REGISTRATION_FAILED', 'the agent returned no session_id');
    this.sessionId = res.sessionId;
    this.scheduleRefresh(Math.max(1, res.recommendedRefreshIntervalSecs ?? 10) * 1000);
    return res.sessionId;
  }

  private scheduleRefresh(intervalMs: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = this.clock.setTimeout(() => {
      const id = this.sessionId;
      if (id === undefined || this.closed) return;
      this.options.client.refresh(id).then(
        () => this.scheduleRefresh(intervalMs),
        (err: unknown) => {
          // lost: the next waitSessionId (the consumer reconnecting) registers again
          this.invalidate(id);
          this.options.onError?.(err as Error);
        },
      );
    }, intervalMs);
  }
}
