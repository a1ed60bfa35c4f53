'use strict';
// A real dd-trace-js process, observed from inside. Forked by test/helpers/tracer.ts with the DD_* environment
// already set (agent URL, service, RC poll interval, FFE over remote config). It reports over IPC:
//   {type:'rc-request', body}               every /v0.7/config body dd-trace builds (RemoteConfig#getPayload)
//   {type:'rc-response', reply}             every non-'{}' reply dd-trace parses (RemoteConfig#parseConfig)
//   {type:'rc-apply', action, product, id, path} every config dispatched to a product or batch handler
//   {type:'apm-tracing', applied, modified, unapplied, configIds, sampleRate, sampleRateOrigin, tags, tagsOrigin}
//                                           after dd-trace applied an APM_TRACING batch (its sdk_config.config)
//   {type:'ffe-ready'} / {type:'ffe-changed'} OpenFeature provider events
//   {type:'started', pid, runtimeId, apmTracing}
//   {type:'flag', id, key, value, reason, variant, errorCode} answers to {type:'evaluate', id, key, default}
//   {type:'span-done', id}                  answers to {type:'span', id, name} (one finished span)
// It exits when the parent disconnects (parent died or called kill()).

const path = require('node:path');

function send(message) {
  if (process.connected) process.send(message, undefined, undefined, () => {});
}

process.on('disconnect', () => process.exit(0));
process.on('uncaughtException', (err) => {
  send({ type: 'fatal', message: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});

// Hook the RC client before dd-trace instantiates it (prototype methods are looked up at call time).
const ddTraceDir = path.dirname(require.resolve('dd-trace/package.json'));
const RemoteConfig = require(path.join(ddTraceDir, 'packages/dd-trace/src/remote_config/index.js'));

// TRACER_APP_REPORT_RC=false turns off the per-poll events (herds of tracers at the default 5 s poll).
const reportRc = process.env.TRACER_APP_REPORT_RC !== 'false';
const getPayload = RemoteConfig.prototype.getPayload;
RemoteConfig.prototype.getPayload = function hookedGetPayload() {
  const body = getPayload.call(this);
  if (reportRc) send({ type: 'rc-request', body });
  return body;
};
const parseConfig = RemoteConfig.prototype.parseConfig;
RemoteConfig.prototype.parseConfig = function hookedParseConfig(reply) {
  if (reportRc) send({ type: 'rc-response', reply });
  return parseConfig.call(this, reply);
};
const dispatch = RemoteConfig.prototype.dispatch;
RemoteConfig.prototype.dispatch = function hookedDispatch(list, action, outcomes) {
  for (const item of list) send({ type: 'rc-apply', action, product: item.product, id: item.id, path: item.path });
  return dispatch.call(this, list, action, outcomes);
};

// APM_TRACING's batch handler calls config.setRemoteConfig(), which publishes the whole tracer config on this
// channel (dd-trace packages/dd-trace/src/config/index.js); init() publishes it too. dc-polyfill keeps one channel
// registry per process, so subscribing before init() sees every publish.
const { channel } = require('dc-polyfill');
let tracerConfig;
channel('datadog:config:update').subscribe((config) => {
  tracerConfig = config;
});

// Report what APM_TRACING changed once dd-trace's own batch handler has applied it.
const appliedApmTracing = new Set();
const setBatchHandler = RemoteConfig.prototype.setBatchHandler;
RemoteConfig.prototype.setBatchHandler = function hookedSetBatchHandler(products, handler) {
  if (!products.includes('APM_TRACING')) return setBatchHandler.call(this, products, handler);
  return setBatchHandler.call(this, products, function observedBatchHandler(transaction) {
    const result = handler.call(this, transaction);
    const ids = (items) => items.filter((i) => i.product === 'APM_TRACING').map((i) => i.id);
    for (const id of ids(transaction.toUnapply)) appliedApmTracing.delete(id);
    for (const id of [...ids(transaction.toApply), ...ids(transaction.toModify)]) appliedApmTracing.add(id);
    send({
      type: 'apm-tracing',
      applied: ids(transaction.toApply),
      modified: ids(transaction.toModify),
      unapplied: ids(transaction.toUnapply),
      configIds: [...appliedApmTracing],
      ...apmTracingView(tracerConfig),
    });
    return result;
  });
};

const tracer = require('dd-trace').init();

function apmTracingView(config) {
  if (config === undefined) return {};
  const origin = typeof config.getOrigin === 'function' ? (name) => config.getOrigin(name) : () => 'unknown';
  return {
    sampleRate: config.sampleRate ?? null,
    sampleRateOrigin: origin('sampleRate'),
    tags: { ...config.tags },
    tagsOrigin: origin('tags'),
  };
}

const { OpenFeature, ProviderEvents } = require('@openfeature/server-sdk');
const provider = tracer.openfeature;
OpenFeature.addHandler(ProviderEvents.Ready, () => send({ type: 'ffe-ready' }));
OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, () => send({ type: 'ffe-changed' }));
OpenFeature.addHandler(ProviderEvents.Error, (details) => send({ type: 'ffe-error', message: details?.message }));
OpenFeature.setProvider(provider);
const client = OpenFeature.getClient();

process.on('message', (message) => {
  if (message && message.type === 'span') {
    // A finished span, flushed to the agent URL on the tracer's own schedule (DD_TRACE_FLUSH_INTERVAL).
    tracer.trace(String(message.name ?? 'rc-agent.test'), () => {});
    send({ type: 'span-done', id: message.id });
    return;
  }
  if (!message || message.type !== 'evaluate') return;
  const { id, key } = message;
  const fallback = message.default;
  const context = { targetingKey: message.targetingKey ?? 'tracer-app' };
  let details;
  switch (typeof fallback) {
    case 'boolean':
      details = client.getBooleanDetails(key, fallback, context);
      break;
    case 'number':
      details = client.getNumberDetails(key, fallback, context);
      break;
    case 'string':
      details = client.getStringDetails(key, fallback, context);
      break;
    default:
      details = client.getObjectDetails(key, fallback, context);
  }
  details.then(
    (d) =>
      send({ type: 'flag', id, key, value: d.value, reason: d.reason, variant: d.variant, errorCode: d.errorCode }),
    (err) => send({ type: 'flag', id, key, value: fallback, reason: 'ERROR', errorCode: String(err) }),
  );
});

send({
  type: 'started',
  pid: process.pid,
  runtimeId: tracerConfig?.tags?.['runtime-id'] ?? null,
  apmTracing: apmTracingView(tracerConfig),
});
