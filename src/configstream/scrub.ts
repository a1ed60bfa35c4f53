// Secrets never leave in clear, scrubbed as the Datadog agent's scrubber does: an API key keeps its last 5
// characters behind 27 stars (an application key behind 35), every other credential becomes `********`.
const KEY_LEAF = /^(?:.*_)?(?:api_key|app_key|application_key|rc_key)$|^key$/i;
const SECRET_LEAF = /(?:^|_)(?:token|auth_token|password|passwd|secret|private_key|key_secret)$/i;
const API_KEY = /^[a-fA-F0-9]{32}$/;
const APP_KEY = /^[a-fA-F0-9]{40}$/;
export const REDACTED = '********';
const TAIL_CHARS = 5;

export function isSecretKey(key: string): boolean {
  const leaf = key.slice(key.lastIndexOf('.') + 1);
  return KEY_LEAF.test(leaf) || SECRET_LEAF.test(leaf);
}

/** The value to stream for `key`: unchanged unless the key holds a credential. */
export function scrubSetting(key: string, value: unknown): unknown {
  if (!isSecretKey(key)) return value;
  if (value === null || value === undefined || value === '') return value;
  if (typeof value !== 'string') return REDACTED;
  const leaf = key.slice(key.lastIndexOf('.') + 1);
  if (KEY_LEAF.test(leaf)) {
    if (API_KEY.test(value)) return '*'.repeat(27) + value.slice(-TAIL_CHARS);
    if (APP_KEY.test(value)) return '*'.repeat(35) + value.slice(-TAIL_CHARS);
    // long enough that the tail says little: show it, as the scrubber does for keys
    if (value.length >= 16) return REDACTED + value.slice(-TAIL_CHARS);
  }
  return REDACTED;
}
