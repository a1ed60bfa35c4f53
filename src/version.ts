// Versions rc-agent reports.
export const RC_AGENT_VERSION = '0.1.0';
/** Sent as LatestConfigsRequest.agentVersion: the backend rejects an empty or old one, so rc-agent reports the
 * Datadog agent release whose RC protocol it implements. */
export const UPSTREAM_AGENT_VERSION = '7.72.0';
