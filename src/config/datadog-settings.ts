// The settings that point rc-agent at a real Datadog site: RC key, what is sent upstream (agent version, env, host
// tags), proxy and TLS of the backend client. Each follows the reference agent's rule, cited where it is applied.
import semver from 'semver';
import { MIN_UPSTREAM_AGENT_VERSION, UPSTREAM_AGENT_VERSION } from '../version.js';
import { ConfigError } from './error.js';
import { parseRemoteConfigKey, RemoteConfigKeyError, type RemoteConfigKey } from './rc-key.js';
import type { Settings } from './schema.js';

export { MIN_UPSTREAM_AGENT_VERSION };

export type TlsMinVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface ProxySettings {
  /** `proxy.http`: used only for a plain-http backend URL (`no_tls`) */
  readonly http: string;
  /** `proxy.https`: HTTP CONNECT tunnel to the https backend */
  readonly https: string;
  readonly noProxy: readonly string[];
  /** false: a no_proxy entry matches the URL host exactly (the reference default) */
  readonly noProxyNonexactMatch: boolean;
}

export interface BackendTlsSettings {
  /** `skip_ssl_validation`, honoured only with `remote_configuration.no_tls_validation` */
  readonly skipVerify: boolean;
  readonly minVersion: TlsMinVersion;
}

export interface DatadogSettings {
  readonly rcKey: RemoteConfigKey | undefined;
  readonly upstreamAgentVersion: string;
  readonly traceAgentEnv: string;
  readonly hostTags: readonly string[];
  readonly proxy: ProxySettings;
  readonly tls: BackendTlsSettings;
}

const TLS_VERSIONS: Record<string, TlsMinVersion> = {
  'tlsv1.0': 'TLSv1',
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};

export function buildDatadogSettings(
  s: Settings,
  opts: { readonly usesBackend: boolean; readonly warnings: string[] },
): DatadogSettings {
  const rcKeyText = s['remote_configuration.key'].trim();
  let rcKey: RemoteConfigKey | undefined;
  if (rcKeyText !== '') {
    try {
      rcKey = parseRemoteConfigKey(rcKeyText);
    } catch (cause) {
      const why = cause instanceof RemoteConfigKeyError ? cause.message : 'invalid remote config key';
      // never the key itself: it holds an application key
      throw new ConfigError('INVALID_VALUE', `remote_configuration.key: ${why}`, { cause });
    }
  }

  const agentVersion = (s['remote_configuration.agent_version'] ?? UPSTREAM_AGENT_VERSION).trim();
  if (semver.valid(agentVersion) === null) {
    throw new ConfigError(
      'INVALID_VALUE',
      `remote_configuration.agent_version: ${JSON.stringify(agentVersion)} is not a version like ${UPSTREAM_AGENT_VERSION}`,
    );
  }
  if (semver.lt(agentVersion, MIN_UPSTREAM_AGENT_VERSION)) {
    throw new ConfigError(
      'INVALID_VALUE',
      `remote_configuration.agent_version: ${agentVersion} is older than ${MIN_UPSTREAM_AGENT_VERSION}, the oldest the Remote Config backend serves`,
    );
  }

  // pkg/config/utils GetConfiguredTags: tags then extra_tags
  const configuredTags = [...s.tags, ...s.extra_tags];
  const env = s.env;
  // GetTraceAgentDefaultEnv: apm_config.env, else env, else the first env: tag
  const traceAgentEnv =
    s['apm_config.env'] || env || (configuredTags.find((tag) => tag.startsWith('env:'))?.slice('env:'.length) ?? '');
  // hosttags.Get: configured tags, env:<env>, sorted and de-duplicated
  const hostTags = [...new Set([...configuredTags, ...(env ? [`env:${env}`] : [])])].sort();

  const minTls = s.min_tls_version;
  let minVersion = TLS_VERSIONS[minTls.toLowerCase()];
  if (minVersion === undefined) {
    opts.warnings.push(`min_tls_version: invalid ${JSON.stringify(minTls)}; using tlsv1.2`);
    minVersion = 'TLSv1.2';
  }
  const skipVerify = s.skip_ssl_validation;
  // api/http.go NewHTTPClient refuses a client that skips validation unless RC allows it explicitly
  if (skipVerify && opts.usesBackend && !s['remote_configuration.no_tls_validation']) {
    throw new ConfigError(
      'INVALID_VALUE',
      'skip_ssl_validation: Remote Configuration does not allow skipping TLS validation by default; ' +
        'set remote_configuration.no_tls_validation to true to allow it',
    );
  }
  const proxy: ProxySettings = {
    http: proxyUrl('proxy.http', s['proxy.http']),
    https: proxyUrl('proxy.https', s['proxy.https']),
    noProxy: s['proxy.no_proxy'],
    noProxyNonexactMatch: s.no_proxy_nonexact_match,
  };
  return { rcKey, upstreamAgentVersion: agentVersion, traceAgentEnv, hostTags, proxy, tls: { skipVerify, minVersion } };
}

/** Like Go's httpproxy: a bare `host:port` means http://host:port. The value may hold credentials: never echoed. */
function proxyUrl(key: string, value: string): string {
  const text = value.trim();
  if (text === '') return '';
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new ConfigError('INVALID_VALUE', `${key}: not a URL (expected http://[user:password@]host:port)`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('INVALID_VALUE', `${key}: scheme ${url.protocol} is not supported (http or https)`);
  }
  return withScheme;
}
