-- The message and call log: one entry per Sid, kept a day. KEYS: ENTRIES (HASH sid → JSON), ORDER
-- (ZSET sid by when it was first logged), EARLY (a status that came before its entry). ARGV: MODE
-- ('add' or 'status'), SID, AT (ms), KEEP_MS, then
-- add: ENTRY (JSON); status: STATUS, PROGRESS, ERROR, ANSWERED_BY ('' for the other mode's).
-- A status never replaces one that is further along. A status for a Sid not (yet) logged is kept
-- aside a few minutes: Twilio's first callback can arrive before the sender has logged what it
-- sent; the entry takes it when it is added (and answers it, so its effects follow).
-- add answers 'ok' (and the early status as JSON, if one came first); status answers 'updated'
-- and the entry as it is now, 'kept' or 'unknown'.
local EARLY_KEPT_MS = 600000
local function keep(at, keep_ms)
  local old = redis.call('ZRANGEBYSCORE', ORDER, 0, at - keep_ms)
  for _, sid in ipairs(old) do redis.call('HDEL', ENTRIES, sid) end
  redis.call('ZREMRANGEBYSCORE', ORDER, 0, at - keep_ms)
  local seconds = math.ceil(keep_ms / 1000)
  redis.call('EXPIRE', ENTRIES, seconds)
  redis.call('EXPIRE', ORDER, seconds)
end
-- moves entry on to a status (a table: status, progress, updated_at, error_code), unless it is
-- already as far along; answers whether it did
local function move_on(entry, s)
  if tonumber(s.progress) <= tonumber(entry.progress or 0) then return false end
  entry.status = s.status
  entry.progress = tonumber(s.progress)
  entry.updated_at = tonumber(s.updated_at)
  if s.error_code and s.error_code ~= '' then entry.error_code = s.error_code end
  return true
end
if MODE == 'add' then
  local early = redis.call('GET', EARLY)
  if redis.call('HSETNX', ENTRIES, SID, ENTRY) == 1 then
    redis.call('ZADD', ORDER, AT, SID)
    if early then
      redis.call('DEL', EARLY)
      local entry = cjson.decode(ENTRY)
      if move_on(entry, cjson.decode(early)) then
        redis.call('HSET', ENTRIES, SID, cjson.encode(entry))
        keep(AT, KEEP_MS)
        return {'ok', early}
      end
    end
  end
  keep(AT, KEEP_MS)
  return {'ok'}
end
local s = {status = STATUS, progress = PROGRESS, updated_at = AT, error_code = ERROR,
           answered_by = ANSWERED_BY}
local raw = redis.call('HGET', ENTRIES, SID)
if not raw then
  -- perhaps ours, not logged yet: kept aside (the furthest along of them)
  local before = redis.call('GET', EARLY)
  if not before or tonumber(cjson.decode(before).progress) < s.progress then
    redis.call('SET', EARLY, cjson.encode(s), 'PX', EARLY_KEPT_MS)
  end
  return {'unknown'}
end
local entry = cjson.decode(raw)
if not move_on(entry, s) then return {'kept'} end
local json = cjson.encode(entry)
redis.call('HSET', ENTRIES, SID, json)
keep(AT, KEEP_MS)
return {'updated', json}
