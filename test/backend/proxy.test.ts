import t from 'tap';
import { proxyFor, type BackendProxyOptions } from '../../src/backend/proxy.js';

const P = 'http://proxy:3128';
const opts = (noProxy: string[], noProxyNonexactMatch: boolean): BackendProxyOptions => ({
  http: 'http://plain-proxy:8080',
  https: P,
  noProxy,
  noProxyNonexactMatch,
});
const via = (url: string, o: BackendProxyOptions): string | undefined => proxyFor(new URL(url), o);

t.test('scheme selects proxy.http or proxy.https; empty = direct', (t) => {
  t.equal(via('https://config.datadoghq.com', opts([], false)), P);
  t.equal(via('http://rc.internal:8080', opts([], false)), 'http://plain-proxy:8080');
  t.equal(via('https://config.datadoghq.com', { ...opts([], false), https: '' }), undefined);
  t.end();
});

t.test('default (reference): no_proxy entries must equal the URL host exactly', (t) => {
  const o = opts(['config.datadoghq.com', 'datadoghq.eu', '10.0.0.0/8', 'rc.internal:8443'], false);
  t.equal(via('https://config.datadoghq.com', o), undefined, 'exact host');
  t.equal(via('https://config.datadoghq.eu', o), P, 'no suffix match');
  t.equal(via('https://10.1.2.3', o), P, 'no CIDR match');
  t.equal(via('https://rc.internal:8443', o), undefined, 'host:port as written in the URL');
  t.equal(via('https://rc.internal', o), P);
  t.equal(via('https://127.0.0.1:9', opts([], false)), P, 'loopback is proxied too');
  t.end();
});

t.test('no_proxy_nonexact_match: Go httpproxy semantics', (t) => {
  const o = opts(['datadoghq.eu', '.corp.example', '*.wild.example', '10.0.0.0/8', '192.168.1.7', 'rc.x:8443'], true);
  t.equal(via('https://datadoghq.eu', o), undefined, 'the domain itself');
  t.equal(via('https://config.datadoghq.eu', o), undefined, 'and its subdomains');
  t.equal(via('https://notdatadoghq.eu', o), P, 'not a mere string suffix');
  t.equal(via('https://corp.example', o), P, 'a leading dot: subdomains only');
  t.equal(via('https://a.corp.example', o), undefined);
  t.equal(via('https://wild.example', o), P, '*. like a leading dot');
  t.equal(via('https://b.wild.example', o), undefined);
  t.equal(via('https://10.20.30.40', o), undefined, 'CIDR');
  t.equal(via('https://11.0.0.1', o), P);
  t.equal(via('https://192.168.1.7:443', o), undefined, 'IP');
  t.equal(via('https://rc.x:8443', o), undefined, 'port-specific entry');
  t.equal(via('https://rc.x', o), P, 'default port 443 ≠ 8443');
  t.equal(via('https://localhost:9', o), undefined, 'localhost never proxied');
  t.equal(via('https://127.0.0.5', o), undefined, 'loopback never proxied');
  t.equal(via('https://[::1]:9', o), undefined);
  t.equal(via('https://anything.example', opts(['*'], true)), undefined, '* disables the proxy');
  t.equal(via('https://config.datadoghq.com', opts(['config.datadoghq.com:443'], true)), undefined);
  t.end();
});
