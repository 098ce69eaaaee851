/**
 * The Lua scripts behind Redis admission: one EVALSHA per event-loop turn's admissions and one per its
 * settlements (per hash tag), each request applied in order with the semantics of a call of its own.
 *
 * Per scope, 6 KEYS (all inside one hash tag, so one script touches one cluster slot):
 *   w      ZSET   sliding-window log: member `<reqId>|<tokens>`, score = admission time (ms, Redis TIME)
 *   wt     STRING sum of the tokens of the members of w
 *   p      ZSET   leases (in-flight slots and budget reservations): member reqId, score = expiry (ms)
 *   r      HASH   reqId → reserved micro-USD
 *   bres   STRING sum of r (reserved micro-USD)
 *   bspent HASH   the current budget period (the key name carries the period id): `m` = settled micro-USD,
 *                 `s` = seeded marker, set once the period's spend recorded in the Postgres ledger was added
 *                 (SEED_LUA). A missing marker (Redis restarted empty, the key evicted) makes admission answer
 *                 "seed needed" instead of trusting a counter that forgot the ledger. With budget leases
 *                 (leases.ts), `g` = this region's lease: micro-USD the global ledger granted it this period;
 *                 `m` is then this region's spend, and a leased scope admits only within min(budget, g).
 *
 * Invariants: wt = Σ tokens in w; bres = Σ r; every r field has a p member. Expired entries are reaped at the
 * start of each call on the scope, so a replica that dies holding leases frees them when the lease expires.
 * Every key gets a TTL, so idle scopes vanish (bspent lives to the end of its period plus a day).
 * All checks run before any write: a request is reserved in every scope or in none.
 */

/**
 * Admission of a batch: every admission one task issued in one event-loop turn (redis.ts), applied one after
 * the other in argument order, each exactly as if it were alone (checks on every scope first, then writes in
 * every scope or in none), all at one Redis TIME. So N admissions in one call decide exactly as N calls in that
 * order would, at the cost of one round trip, one script call and each scope's key names sent once.
 *
 * KEYS: six per distinct scope (w, wt, p, r, bres, bspent), each scope once per call.
 * ARGV: count, leaseMs, windowMs, then per admission: scopeCount, reqId, estTokens, estMicro, then per scope:
 * keyBase (0-based index of the scope's first KEY), rpm, tpm, maxParallel, budgetMicro, bspentTtlMs (−1 = no
 * such limit; ttl 0 = never expires), leased (1 = check the budget against the lease `g`).
 * Returns one reply per admission, in order:
 * {1, rqLimit, rqRemaining, rqResetMs, tkLimit, tkRemaining, tkResetMs, leaseLeft per scope…} (leaseLeft
 * = what the scope's lease has left after this reservation, −1 when not leased) or
 * {0, kind(1 requests, 2 tokens, 3 parallel, 4 budget, 5 lease short), scopeIndex(0-based), retryAfterMs, limit,
 * remaining} (kind 5: the region's lease cannot hold the request but the budget may: refill, then admit again) or
 * {2, scopeIndex…}: the budget scopes whose spend must be seeded from the ledger first (nothing was written).
 *
 * Within one call `now` is fixed, so a window or lease set reaped once has nothing left to reap (entries added
 * by the call are younger than the window and expire after `now`), and a seeded marker cannot change (this
 * script never seeds): each is read once per key per call.
 */
export const ADMIT_MANY_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local m = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local win = tonumber(ARGV[3])
local reapedW, reapedP, seeded = {}, {}, {}

local function reapWindow(w, wt)
  if reapedW[w] then return end
  reapedW[w] = true
  local old = redis.call('ZRANGEBYSCORE', w, '-inf', now - win)
  if #old > 0 then
    local sum = 0
    for i = 1, #old do sum = sum + (tonumber(string.match(old[i], '|(%d+)$')) or 0) end
    redis.call('ZREMRANGEBYSCORE', w, '-inf', now - win)
    if sum > 0 then redis.call('DECRBY', wt, sum) end
  end
end

local function reapLeases(p, r, bres)
  if reapedP[p] then return end
  if lease > 0 then reapedP[p] = true end
  local old = redis.call('ZRANGEBYSCORE', p, '-inf', now)
  if #old > 0 then
    local sum = 0
    for i = 1, #old do
      local v = redis.call('HGET', r, old[i])
      if v then sum = sum + tonumber(v); redis.call('HDEL', r, old[i]) end
    end
    redis.call('ZREMRANGEBYSCORE', p, '-inf', now)
    if sum > 0 then redis.call('DECRBY', bres, sum) end
  end
end

local function isSeeded(bspent)
  local s = seeded[bspent]
  if s == nil then
    s = redis.call('HGET', bspent, 's') ~= false
    seeded[bspent] = s
  end
  return s
end

local function admitOne(ab)
  local n = tonumber(ARGV[ab + 1])
  local id = ARGV[ab + 2]
  local est = tonumber(ARGV[ab + 3])
  local estMicro = tonumber(ARGV[ab + 4])
  local rqL, rqR, rqT, tkL, tkR, tkT = -1, -1, 0, -1, -1, 0

  local unseeded = {2}
  for i = 1, n do
    local a = ab + 4 + (i - 1) * 7
    if tonumber(ARGV[a + 5]) >= 0 and not isSeeded(KEYS[tonumber(ARGV[a + 1]) + 6]) then
      unseeded[#unseeded + 1] = i - 1
    end
  end
  if #unseeded > 1 then return unseeded end

  local left = {}
  for i = 1, n do
    local a = ab + 4 + (i - 1) * 7
    local k = tonumber(ARGV[a + 1])
    local rpm, tpm, par, bmax = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
    left[i] = -1
    local w, wt, p, r, bres, bspent = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6]
    if rpm >= 0 or tpm >= 0 then
      reapWindow(w, wt)
      local count = redis.call('ZCARD', w)
      local reset = win
      if count > 0 then
        local oldest = redis.call('ZRANGE', w, 0, 0, 'WITHSCORES')
        reset = tonumber(oldest[2]) + win - now
      end
      if rpm >= 0 then
        if count + 1 > rpm then
          local retry = win
          if rpm > 0 then
            local e = redis.call('ZRANGE', w, count - rpm, count - rpm, 'WITHSCORES')
            if e[2] then retry = tonumber(e[2]) + win - now end
          end
          return {0, 1, i - 1, retry, rpm, 0}
        end
        if rqL < 0 or rpm - count - 1 < rqR then rqL, rqR, rqT = rpm, rpm - count - 1, reset end
      end
      if tpm >= 0 then
        local sum = tonumber(redis.call('GET', wt) or '0')
        if sum + est > tpm then
          local retry = -1
          if est <= tpm then
            retry = win
            local entries = redis.call('ZRANGE', w, 0, 9999, 'WITHSCORES')
            local freed = 0
            for j = 1, #entries, 2 do
              freed = freed + (tonumber(string.match(entries[j], '|(%d+)$')) or 0)
              if sum - freed + est <= tpm then retry = tonumber(entries[j + 1]) + win - now; break end
            end
          end
          return {0, 2, i - 1, retry, tpm, math.max(0, tpm - sum)}
        end
        if tkL < 0 or tpm - sum - est < tkR then tkL, tkR, tkT = tpm, tpm - sum - est, reset end
      end
    end
    if par >= 0 or bmax >= 0 then
      reapLeases(p, r, bres)
      if par >= 0 and redis.call('ZCARD', p) + 1 > par then return {0, 3, i - 1, 1000, par, 0} end
      if bmax >= 0 then
        local spent = tonumber(redis.call('HGET', bspent, 'm') or '0')
        local reserved = tonumber(redis.call('GET', bres) or '0')
        local cap = bmax
        local leased = ARGV[a + 7] == '1'
        if leased then
          local g = tonumber(redis.call('HGET', bspent, 'g') or '0')
          if g < cap then cap = g end
        end
        if spent >= cap or spent + reserved + estMicro > cap then
          local ttl = tonumber(ARGV[a + 6])
          local retry = -1
          if ttl > 0 then retry = ttl - 86400000 end
          if cap < bmax and spent + reserved + estMicro <= bmax then return {0, 5, i - 1, retry, bmax, math.max(0, cap - spent - reserved)} end
          return {0, 4, i - 1, retry, bmax, math.max(0, cap - spent - reserved)}
        end
        if leased then left[i] = cap - spent - reserved - estMicro end
      end
    end
  end

  local member = id .. '|' .. est
  for i = 1, n do
    local a = ab + 4 + (i - 1) * 7
    local k = tonumber(ARGV[a + 1])
    local rpm, tpm, par, bmax = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5])
    if rpm >= 0 or tpm >= 0 then
      redis.call('ZADD', KEYS[k + 1], now, member)
      redis.call('PEXPIRE', KEYS[k + 1], win + 1000)
      redis.call('INCRBY', KEYS[k + 2], est)
      redis.call('PEXPIRE', KEYS[k + 2], win + 1000)
    end
    if par >= 0 or bmax >= 0 then
      redis.call('ZADD', KEYS[k + 3], now + lease, id)
      redis.call('PEXPIRE', KEYS[k + 3], lease + 1000)
      if bmax >= 0 and estMicro > 0 then
        redis.call('HSET', KEYS[k + 4], id, estMicro)
        redis.call('PEXPIRE', KEYS[k + 4], lease + 1000)
        redis.call('INCRBY', KEYS[k + 5], estMicro)
        redis.call('PEXPIRE', KEYS[k + 5], lease + 1000)
      end
    end
  end
  local out = {1, rqL, rqR, rqT, tkL, tkR, tkT}
  for i = 1, n do out[7 + i] = left[i] end
  return out
end

local replies = {}
local ab = 3
for j = 1, m do
  replies[j] = admitOne(ab)
  ab = ab + 4 + tonumber(ARGV[ab + 1]) * 7
end
return replies
`;


/**
 * Settlement: the actual usage replaces each reservation — the TPM window entry is corrected to the actual
 * tokens (or, when the reservation already left the window, the excess is charged now), the in-flight slot
 * and the budget reservation are released, and the actual cost is added to the period's spend.
 *
 * Many settlements in one call: the request path settles every response, and one call per response was the
 * largest single cost of the gateway with limits on. All KEYS of one call share a hash slot (callers group by
 * hash tag); six per distinct scope, each scope once per call (as ADMIT_MANY_LUA's). ARGV: count, windowMs,
 * then per settlement: scopeCount, reqId, estTokens, actualTokens, actualMicro, then per scope keyBase (0-based
 * index of the scope's first KEY), hasTpm (0/1), hasLease (0/1), hasBudget (0/1), bspentTtlMs. Applied in
 * order. Returns the count.
 */
export const SETTLE_MANY_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local m = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local ab = 2
for j = 1, m do
  local nsc = tonumber(ARGV[ab + 1])
  local id = ARGV[ab + 2]
  local est = tonumber(ARGV[ab + 3])
  local actual = tonumber(ARGV[ab + 4])
  local micro = tonumber(ARGV[ab + 5])
  for i = 1, nsc do
    local a = ab + 5 + (i - 1) * 5
    local k = tonumber(ARGV[a + 1])
    local w, wt, p, r, bres, bspent = KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5], KEYS[k + 6]
    if ARGV[a + 2] == '1' then
      local old = id .. '|' .. est
      local score = redis.call('ZSCORE', w, old)
      if score and tonumber(score) > now - win then
        if actual ~= est then
          redis.call('ZREM', w, old)
          redis.call('ZADD', w, score, id .. '|' .. actual)
          redis.call('INCRBY', wt, actual - est)
        end
      elseif actual > est then
        redis.call('ZADD', w, now, id .. '+|' .. (actual - est))
        redis.call('INCRBY', wt, actual - est)
        redis.call('PEXPIRE', w, win + 1000)
        redis.call('PEXPIRE', wt, win + 1000)
      end
    end
    if ARGV[a + 3] == '1' then
      redis.call('ZREM', p, id)
      local v = redis.call('HGET', r, id)
      if v then
        redis.call('HDEL', r, id)
        redis.call('DECRBY', bres, tonumber(v))
      end
    end
    if ARGV[a + 4] == '1' and micro > 0 then
      redis.call('HINCRBY', bspent, 'm', micro)
      local ttl = tonumber(ARGV[a + 5])
      if ttl > 0 then redis.call('PEXPIRE', bspent, ttl) end
    end
  end
  ab = ab + 5 + nsc * 5
end
return m
`;

/**
 * Seed one budget period's spend from the ledger, once: KEYS[1] = bspent; ARGV: ledger micro-USD, ttlMs (0 =
 * none), lease micro-USD (−1 = not leased). The first task to seed wins (the marker is set with HSETNX); a later
 * seed is a no-op, so several tasks seeding the same budget after a flush count the ledger once. Settlements that
 * arrived before the seed stay in `m` and are added to (conservative: one whose usage row already reached the
 * ledger is counted twice). The lease is a total the ledger keeps, only ever raised within a period: `g` takes
 * the larger of the two, so a seed and a refill racing each other never count a grant twice.
 * Returns 1 when this call seeded, 0 when the period was already seeded.
 */
export const SEED_LUA = `
local lease = tonumber(ARGV[3] or '-1')
if lease >= 0 and lease > tonumber(redis.call('HGET', KEYS[1], 'g') or '0') then redis.call('HSET', KEYS[1], 'g', lease) end
if redis.call('HSETNX', KEYS[1], 's', 1) == 0 then return 0 end
local micro = tonumber(ARGV[1])
if micro > 0 then redis.call('HINCRBY', KEYS[1], 'm', micro) end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`;

/**
 * A lease refill: KEYS[1] = bspent; ARGV: the region's lease total as the ledger returned it, ttlMs (0 = none).
 * `g` = max(g, total) (totals only grow within a period, so concurrent refills in any order end at the newest).
 * Returns the lease now held.
 */
export const LEASE_LUA = `
local total = tonumber(ARGV[1])
local g = tonumber(redis.call('HGET', KEYS[1], 'g') or '0')
if total > g then redis.call('HSET', KEYS[1], 'g', total); g = total end
local ttl = tonumber(ARGV[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return g
`;
