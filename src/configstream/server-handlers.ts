// The registry and StreamConfigEvents behind AgentSecure (src/grpc checks the bearer token first). No session in
// the metadata → UNAUTHENTICATED; unknown or expired → PERMISSION_DENIED; nothing is sent before that check.
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import { RpcStatusError, type RemoteAgentHandlers } from '../grpc/index.js';
import type { IConfigEvent, IConfigStreamRequest } from '../proto/index.js';
import type { ConfigStreamHub } from './hub.js';
import type { ConfigStreamMetrics } from './metrics.js';
import { RegistrationError, type RemoteAgentRegistry } from './registry.js';

export const SESSION_METADATA_KEY = 'session_id';

export function createRemoteAgentHandlers(opts: {
  registry: RemoteAgentRegistry;
  hub: ConfigStreamHub;
  metrics?: ConfigStreamMetrics;
}): RemoteAgentHandlers {
  const { registry, hub, metrics } = opts;
  registry.on('ended', (sessionId, reason) => hub.endSession(sessionId, `session ${reason}`));
  registry.on('count', (n) => metrics?.remoteAgents.set(n));

  return {
    registerRemoteAgent: async (request) => {
      try {
        return registry.register(request);
      } catch (err) {
        if (err instanceof RegistrationError) throw new RpcStatusError(status.INVALID_ARGUMENT, err.message);
        throw err;
      }
    },
    refreshRemoteAgent: async (request) => {
      if (!request.sessionId) throw new RpcStatusError(status.INVALID_ARGUMENT, 'session_id is required');
      if (!registry.refresh(request.sessionId)) {
        throw new RpcStatusError(status.NOT_FOUND, 'session ID not found or expired');
      }
      return {};
    },
    streamConfigEvents: (call: ServerWritableStream<IConfigStreamRequest, IConfigEvent>) => {
      const value = call.metadata.get(SESSION_METADATA_KEY)[0];
      const sessionId = typeof value === 'string' ? value : '';
      if (sessionId === '') {
        call.emit('error', { code: status.UNAUTHENTICATED, details: 'session_id required in metadata' });
        return;
      }
      if (!registry.refresh(sessionId)) {
        call.emit('error', { code: status.PERMISSION_DENIED, details: 'session ID not found or expired' });
        return;
      }
      const name = call.request.name || registry.get(sessionId)?.flavor || 'unnamed';
      let ended = false;
      const unsubscribe = hub.subscribe(
        name,
        sessionId,
        {
          write: (event) => call.write(event),
          onceDrain: (fn) => call.once('drain', fn),
        },
        (reason, kind) => {
          ended = true;
          const code = kind === 'shutdown' ? status.UNAVAILABLE : status.PERMISSION_DENIED;
          call.emit('error', { code, details: reason });
        },
      );
      const done = (): void => {
        if (ended) return;
        ended = true;
        unsubscribe();
      };
      call.on('cancelled', done);
      call.on('close', done);
      call.on('error', done);
    },
  };
}
