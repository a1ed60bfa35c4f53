// Which proxy the backend client uses, with the Datadog agent's no_proxy semantics (pkg/util/http/transport.go
// GetProxyTransportFunc): by default a no_proxy entry must equal the URL host exactly; with
// no_proxy_nonexact_match it is Go's golang.org/x/net/http/httpproxy (domain suffixes, `*`, IPs, CIDRs, ports).
import { BlockList, isIP } from 'node:net';

export interface BackendProxyOptions {
  /** proxy for http:// backend URLs (empty = none) */
  readonly http: string;
  /** proxy for https:// backend URLs, reached with HTTP CONNECT (empty = none) */
  readonly https: string;
  readonly noProxy: readonly string[];
  readonly noProxyNonexactMatch: boolean;
}

/** The proxy URL for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, opts: BackendProxyOptions): string | undefined {
  const proxy = target.protocol === 'https:' ? opts.https : target.protocol === 'http:' ? opts.http : '';
  if (proxy === '') return undefined;
  if (opts.noProxyNonexactMatch) return goHttpProxyBypass(target, opts.noProxy) ? undefined : proxy;
  // Exact mode compares the URL's host (with its port when the URL has one) to each entry as written.
  return opts.noProxy.some((entry) => entry === target.host) ? undefined : proxy;
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** httpproxy.Config.useProxy, negated: true when `target` must be reached directly. */
function goHttpProxyBypass(target: URL, noProxy: readonly string[]): boolean {
  const host = stripBrackets(target.hostname.toLowerCase());
  const port = target.port || (DEFAULT_PORTS[target.protocol] ?? '');
  // httpproxy never proxies localhost or loopback addresses
  if (host === 'localhost') return true;
  if (isLoopback(host)) return true;
  for (const raw of noProxy.join(',').split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      if (cidrContains(entry, host)) return true;
      continue;
    }
    const { host: entryHost, port: entryPort } = splitHostPort(entry);
    if (isIP(stripBrackets(entryHost)) !== 0) {
      if (stripBrackets(entryHost) === host && (entryPort === '' || entryPort === port)) return true;
      continue;
    }
    if (entryHost === '') continue;
    let suffix = entryHost.startsWith('*.') ? entryHost.slice(1) : entryHost;
    // "foo.com" matches foo.com and its subdomains; ".foo.com" and "*.foo.com" only the subdomains
    const matchHost = !suffix.startsWith('.');
    if (matchHost) suffix = `.${suffix}`;
    if (
      (host.endsWith(suffix) || (matchHost && host === suffix.slice(1))) &&
      (entryPort === '' || entryPort === port)
    ) {
      return true;
    }
  }
  return false;
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function isLoopback(host: string): boolean {
  const family = isIP(host);
  if (family === 4) return host.startsWith('127.');
  if (family === 6) return host === '::1';
  return false;
}

function splitHostPort(entry: string): { host: string; port: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1] ?? '', port: bracketed[2] ?? '' };
  // an IPv6 address without brackets has no port
  if (isIP(entry) === 6) return { host: entry, port: '' };
  const m = /^(.*):(\d+)$/.exec(entry);
  return m ? { host: m[1] ?? '', port: m[2] ?? '' } : { host: entry, port: '' };
}

function cidrContains(cidr: string, host: string): boolean {
  const family = isIP(host);
  if (family === 0) return false;
  const [network, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const networkFamily = isIP(network ?? '');
  if (networkFamily === 0 || !Number.isInteger(bits)) return false;
  const list = new BlockList();
  const type = networkFamily === 4 ? 'ipv4' : 'ipv6';
  try {
    list.addSubnet(network as string, bits, type);
  } catch {
    return false;
  }
  return list.check(host, family === 4 ? 'ipv4' : 'ipv6');
}
