// What a tracked client keeps alive (issue 9, memory of 10,000 tracked clients): walking every object reachable from
// the tracker's copy of a client decoded from a real body, nothing of the request beyond the client is there — not the
// body, not its cached files — and no byte array pins a larger allocation (Node's 8 KiB pool holds request bodies).
import t from 'tap';
import { decodeClientGetConfigsRequest } from '../../src/http/index.js';
import { ClientTracker } from '../../src/service/client-tracker.js';

function reachable(root: unknown): unknown[] {
  const seen = new Set<unknown>();
  const stack = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (ArrayBuffer.isView(v)) continue;
    for (const child of Object.values(v)) stack.push(child);
  }
  return [...seen];
}

t.test('a tracked client holds only its own fields', (t) => {
  // a next poll: acknowledged states, an echoed backend state, cached files
  const body = Buffer.from(
    JSON.stringify({
      client: {
        state: {
          root_version: 1,
          targets_version: 5,
          config_states: [{ id: 'f', version: 2, product: 'FFE_FLAGS', apply_state: 2 }],
          backend_client_state: 'eyJzdGF0ZSI6MX0=',
        },
        id: 'client-1',
        products: ['FFE_FLAGS'],
        is_tracer: true,
        client_tracer: { runtime_id: 'rt', language: 'node', service: 'svc', tags: ['env:dev'] },
        capabilities: 'AmNAoAjwAg==',
      },
      cached_target_files: [
        { path: 'datadog/2/FFE_FLAGS/f/config', length: 10, hashes: [{ algorithm: 'sha256', hash: 'ab'.repeat(32) }] },
      ],
    }),
  );
  const request = decodeClientGetConfigsRequest(body);
  t.ok((request.cachedTargetFiles ?? []).length > 0, 'the literal request caches files');
  const tracker = new ClientTracker(30_000);
  tracker.seen(request.client!, 0);
  const [tracked] = tracker.activeClients(1);
  t.ok(tracked, 'tracked');
  const objects = reachable(tracked);
  t.notOk(objects.includes(request), 'not the request');
  t.notOk(objects.includes(request.cachedTargetFiles), 'not its cached files');
  const views = objects.filter((o): o is Uint8Array => ArrayBuffer.isView(o));
  t.ok(views.length > 0, 'bytes fields are there (capabilities, backend_client_state)');
  for (const v of views) {
    t.not(v.buffer, body.buffer, 'no view of the body');
    t.equal(v.buffer.byteLength, v.byteLength, `a ${v.byteLength}-byte value owns its ArrayBuffer`);
  }
  t.end();
});
