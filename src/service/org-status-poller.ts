// Org status (PROTOCOL.md §4.7): `GET /api/v0.1/status` at start, then every org_status_refresh_interval. A change
// sets enabled/authorized; an error keeps the last known status (401 and proxy errors are expected for keys without
// the RC scope and are not logged loudly).
import type { BackendClient, OrgStatus } from '../backend/index.js';
import type { Clock } from '../clock/index.js';
import type { Logger } from './logger.js';

export class OrgStatusPoller {
  #status: OrgStatus | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #abort = new AbortController();
  #stopped = true;
  #inFlight: Promise<void> | undefined;

  constructor(
    private readonly backend: BackendClient,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  get status(): OrgStatus | undefined {
    return this.#status;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#abort = new AbortController();
    this.#poll();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) this.clock.clearTimeout(this.#timer);
    this.#abort.abort(new Error('rc-agent is stopping'));
    await this.#inFlight;
  }

  #poll(): void {
    this.#inFlight = this.#fetch().finally(() => {
      this.#inFlight = undefined;
      if (!this.#stopped) this.#timer = this.clock.setTimeout(() => this.#poll(), this.intervalMs);
    });
  }

  async #fetch(): Promise<void> {
    try {
      const next = await this.backend.fetchOrgStatus(this.#abort.signal);
      const previous = this.#status;
      if (!previous || previous.enabled !== next.enabled || previous.authorized !== next.authorized) {
        this.log.info({ enabled: next.enabled, authorized: next.authorized }, 'remote configuration org status');
      }
      this.#status = { enabled: next.enabled, authorized: next.authorized };
    } catch (err) {
      if (this.#stopped) return;
      const code = (err as { code?: string }).code;
      const level = code === 'UNAUTHORIZED' || code === 'PROXY' ? 'debug' : 'warn';
      this.log[level]({ err: (err as Error).message }, 'could not refresh the org status; keeping the last one');
    }
  }
}
