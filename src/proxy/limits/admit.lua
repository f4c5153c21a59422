-- aimsgate [[limits]] admission: every key one call counts under, checked in one atomic step
-- on the Redis server's clock. Per key i, ARGV[4i-3 .. 4i] = kind, a, b, per_ms:
--   "w" (token / money window, a hash {t = tokens, c = cost micros}): a = token budget,
--       b = cost budget (-1: none); refused while used >= budget, until the window expires.
--   "r" (requests, GCRA): a = emission interval T in µs (per / n), b = tolerance in µs (per);
--       the stored value is the theoretical arrival time (TAT) in µs.
-- Returns {0} when admitted (and every request key charged), else {i, what, wait_ms} with what
-- 1 = requests, 2 = tokens, 3 = cost; nothing is charged by a refused call.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  if ARGV[4 * i - 3] == 'w' then
    local tb, cb = tonumber(ARGV[4 * i - 2]), tonumber(ARGV[4 * i - 1])
    local v = redis.call('HMGET', KEYS[i], 't', 'c')
    local used = v[1] and tonumber(v[1]) or 0
    local spent = v[2] and tonumber(v[2]) or 0
    local what = 0
    if tb >= 0 and used >= tb then
      what = 2
    elseif cb >= 0 and spent >= cb then
      what = 3
    end
    if what > 0 then
      local ttl = redis.call('PTTL', KEYS[i])
      if ttl < 0 then
        -- A window without expiry (a charge cut short): give it one interval from now.
        ttl = tonumber(ARGV[4 * i])
        redis.call('PEXPIRE', KEYS[i], ttl)
      end
      return {i, what, ttl}
    end
  end
end
local tats = {}
for i = 1, #KEYS do
  if ARGV[4 * i - 3] == 'r' then
    local T, tau = tonumber(ARGV[4 * i - 2]), tonumber(ARGV[4 * i - 1])
    local stored = redis.call('GET', KEYS[i])
    local tat = stored and tonumber(stored) or 0
    local new = math.max(tat, now) + T
    if new - now > tau then
      return {i, 1, math.ceil((new - now - tau) / 1000)}
    end
    tats[i] = new
  end
end
for i, new in pairs(tats) do
  redis.call('SET', KEYS[i], string.format('%.0f', new), 'PX', math.ceil((new - now) / 1000))
end
return {0}
