export { TokenBucket, type TokenBucketOptions } from './token-bucket.js';
export { FixedWindowLimiter } from './fixed-window-limiter.js';
export { ExponentialBackoff, fullJitterMs, BACKOFF_BASE_MS } from './backoff.js';
