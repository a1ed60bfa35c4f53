import t from 'tap';
import { BackendError } from '../../src/backend/index.js';
import { BACKEND_ERROR_CODES } from '../../src/backend/error.js';
import { BACKEND_ERROR_DOCS } from '../../src/backend/error.js';

void t.test('every error code is unique and documented in error.ts', async (t) => {
  t.equal(new Set(BACKEND_ERROR_CODES).size, BACKEND_ERROR_CODES.length);
  for (const code of BACKEND_ERROR_CODES) {
    t.match(BACKEND_ERROR_DOCS[code], /\S/, `${code} has a doc comment`);
  }
});

void t.test('BackendError keeps code, cause, status and Retry-After', async (t) => {
  const cause = new Error('root');
  const err = new BackendError('PROXY', 'm', { cause, status: 429, retryAfterMs: 2000 });
  t.equal(err.name, 'BackendError');
  t.equal(err.code, 'PROXY');
  t.equal(err.cause, cause);
  t.equal(err.status, 429);
  t.equal(err.retryAfterMs, 2000);
  t.ok(err instanceof Error);
  t.notOk('cause' in new BackendError('NETWORK', 'no cause'));
});
