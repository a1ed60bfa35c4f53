// Versions rc-agent reports.
export const RC_AGENT_VERSION = '0.1.0';
/** Sent as LatestConfigsRequest.agentVersion: the backend rejects an empty or old one, so rc-agent reports the
 * Datadog agent release whose RC protocol it implements. */
export const UPSTREAM_AGENT_VERSION = '7.72.0';
/** The oldest agent version the RC backend serves (datadog-agent's agentless build notes: "must be >= 7.39.1 to
 * satisfy the Remote Config backend constraints"); `remote_configuration.agent_version` may not go below it. */
export const MIN_UPSTREAM_AGENT_VERSION = '7.39.1';
