// Atomic Redis scripts. Every write a leader makes is fenced: it happens only while the lock holds this leader's token.

/**
 * KEYS: leader, fence. ARGV: replicaId, ttlMs. Returns the new fencing token, or 0 when another replica holds the
 * lock. Re-entrant: when this replica already holds it (an earlier ACQUIRE whose reply timed out), its token again.
 */
export const ACQUIRE = `
local held = redis.call('GET', KEYS[1])
if held then
  local mine = ARGV[1] .. ':'
  if string.sub(held, 1, #mine) ~= mine then return 0 end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(held, #mine + 1))
end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. fence, 'PX', ARGV[2])
return fence`;

/** KEYS: leader. ARGV: token, ttlMs. 1 when renewed, 0 when the lock is someone else's (or gone). */
export const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS: leader. ARGV: token. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`;

/** KEYS: leader, asks. ARGV: token. The pending asks (flat field/value list), taken; nil when not the leader. */
export const TAKE_ASKS = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
local asks = redis.call('HGETALL', KEYS[2])
redis.call('DEL', KEYS[2])
return asks`;

/**
 * KEYS: leader, round-seq. ARGV: token, round key prefix, record, ttlMs, channel. The new round ID, published; 0 when
 * not the leader.
 */
export const PUBLISH_ROUND = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local id = redis.call('INCR', KEYS[2])
redis.call('SET', ARGV[2] .. id, ARGV[3], 'PX', ARGV[4])
redis.call('PUBLISH', ARGV[5], id)
return id`;

/**
 * A fleet-wide token bucket with the local TokenBucket's semantics (full at the start of every window), on Redis's
 * clock. KEYS: bucket. ARGV: capacity, intervalMs, wanted. Returns {granted, ms left in the window}.
 */
export const TAKE_TOKENS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local ws = tonumber(redis.call('HGET', KEYS[1], 'ws'))
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens'))
if ws == nil or tokens == nil then
  ws = now
  tokens = cap
elseif now - ws >= interval then
  ws = ws + math.floor((now - ws) / interval) * interval
  tokens = cap
end
if tokens > cap then tokens = cap end
local got = math.min(want, tokens)
tokens = tokens - got
redis.call('HSET', KEYS[1], 'ws', ws, 'tokens', tokens)
redis.call('PEXPIRE', KEYS[1], interval * 2)
return {got, ws + interval - now}`;
