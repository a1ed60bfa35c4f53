// Remote Agent Registry: sessions of the processes that register with rc-agent. A session lives while it is
// refreshed; registering the same flavor and pid again replaces (invalidates) the previous session.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../service/index.js';
import type { IRegisterRemoteAgentRequest } from '../proto/index.js';

export const DEFAULT_REFRESH_INTERVAL_S = 10;
/** A session not refreshed for this long expires (three missed refreshes). */
export const DEFAULT_SESSION_TTL_MS = 30_000;

export interface RemoteAgentSession {
  readonly sessionId: string;
  readonly pid: string;
  readonly flavor: string;
  readonly displayName: string;
  readonly apiEndpointUri: string;
  readonly services: readonly string[];
  readonly registeredAtMs: number;
  lastSeenMs: number;
}

export type SessionEndReason = 'expired' | 'replaced' | 'closed';

export interface RegistryEvents {
  /** a session ended; its streams must end too */
  ended: [sessionId: string, reason: SessionEndReason];
  /** the number of live sessions changed */
  count: [n: number];
}

export interface RemoteAgentRegistryOptions {
  readonly clock: Clock;
  readonly refreshIntervalS?: number;
  readonly sessionTtlMs?: number;
}

/** A field of the registration that must be set; the error names it. */
export class RegistrationError extends Error {
  override readonly name = 'RegistrationError';
  constructor(readonly field: string) {
    super(`${field} is required`);
  }
}

export class RemoteAgentRegistry extends EventEmitter<RegistryEvents> {
  readonly refreshIntervalS: number;
  readonly sessionTtlMs: number;
  private readonly clock: Clock;
  private readonly sessions = new Map<string, RemoteAgentSession>();
  private sweepTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(options: RemoteAgentRegistryOptions) {
    super();
    this.clock = options.clock;
    this.refreshIntervalS = options.refreshIntervalS ?? DEFAULT_REFRESH_INTERVAL_S;
    this.sessionTtlMs = options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS;
  }

  register(request: IRegisterRemoteAgentRequest): { sessionId: string; recommendedRefreshIntervalSecs: number } {
    const pid = request.pid ?? '';
    const flavor = request.flavor ?? '';
    const displayName = request.displayName ?? '';
    if (flavor === '') throw new RegistrationError('flavor');
    if (displayName === '') throw new RegistrationError('display_name');
    if (pid === '') throw new RegistrationError('pid');
    for (const s of [...this.sessions.values()]) {
      if (s.flavor === flavor && s.pid === pid) this.end(s.sessionId, 'replaced');
    }
    const now = this.clock.now();
    const session: RemoteAgentSession = {
      sessionId: randomUUID(),
      pid,
      flavor,
      displayName,
      apiEndpointUri: request.apiEndpointUri ?? '',
      services: [...(request.services ?? [])],
      registeredAtMs: now,
      lastSeenMs: now,
    };
    this.sessions.set(session.sessionId, session);
    this.emit('count', this.sessions.size);
    this.scheduleSweep();
    return { sessionId: session.sessionId, recommendedRefreshIntervalSecs: this.refreshIntervalS };
  }

  /** False for an unknown or expired session. */
  refresh(sessionId: string): boolean {
    const session = this.live(sessionId);
    if (session === undefined) return false;
    session.lastSeenMs = this.clock.now();
    return true;
  }

  isValid(sessionId: string): boolean {
    return this.live(sessionId) !== undefined;
  }

  get(sessionId: string): RemoteAgentSession | undefined {
    return this.live(sessionId);
  }

  list(): RemoteAgentSession[] {
    this.sweep();
    return [...this.sessions.values()];
  }

  close(): void {
    this.closed = true;
    if (this.sweepTimer !== undefined) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    for (const id of [...this.sessions.keys()]) this.end(id, 'closed');
  }

  private live(sessionId: string): RemoteAgentSession | undefined {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return undefined;
    if (this.clock.now() - session.lastSeenMs > this.sessionTtlMs) {
      this.end(sessionId, 'expired');
      return undefined;
    }
    return session;
  }

  private end(sessionId: string, reason: SessionEndReason): void {
    if (!this.sessions.delete(sessionId)) return;
    this.emit('ended', sessionId, reason);
    this.emit('count', this.sessions.size);
  }

  private sweep(): void {
    for (const id of [...this.sessions.keys()]) this.live(id);
  }

  /** Expired sessions are ended even when nobody asks about them, so their streams close. */
  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined || this.closed) return;
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep();
      if (this.sessions.size > 0) this.scheduleSweep();
    }, this.refreshIntervalS * 1000);
  }
}
