export { TokenBucket } from './token-bucket.js';
export { FixedWindowLimiter } from './fixed-window-limiter.js';
export { ExponentialBackoff } from './backoff.js';
