-- The message and call log: one entry per Sid, kept a day. KEYS: ENTRIES (HASH sid → JSON), ORDER
-- (ZSET sid by when it was first logged). ARGV: MODE ('add' or 'status'), SID, then
-- add: ENTRY (JSON), AT (ms), KEEP_MS; status: STATUS, PROGRESS, AT (ms), ERROR, KEEP_MS.
-- A status never replaces one that is further along; a status for an unknown Sid is ignored.
-- status answers 'updated' and the entry as it is now, 'kept' or 'unknown'.
local ENTRIES, ORDER = KEYS[1], KEYS[2]
local MODE, SID = ARGV[1], ARGV[2]
local function keep(at, keep_ms)
  local old = redis.call('ZRANGEBYSCORE', ORDER, 0, at - keep_ms)
  for _, sid in ipairs(old) do redis.call('HDEL', ENTRIES, sid) end
  redis.call('ZREMRANGEBYSCORE', ORDER, 0, at - keep_ms)
  local seconds = math.ceil(keep_ms / 1000)
  redis.call('EXPIRE', ENTRIES, seconds)
  redis.call('EXPIRE', ORDER, seconds)
end
if MODE == 'add' then
  local at = tonumber(ARGV[4])
  if redis.call('HSETNX', ENTRIES, SID, ARGV[3]) == 1 then
    redis.call('ZADD', ORDER, at, SID)
  end
  keep(at, tonumber(ARGV[5]))
  return {'ok'}
end
local raw = redis.call('HGET', ENTRIES, SID)
if not raw then return {'unknown'} end
local entry = cjson.decode(raw)
local progress = tonumber(ARGV[4])
if progress <= tonumber(entry.progress or 0) then return {'kept'} end
entry.status = ARGV[3]
entry.progress = progress
entry.updated_at = tonumber(ARGV[5])
if ARGV[6] ~= '' then entry.error_code = ARGV[6] end
local json = cjson.encode(entry)
redis.call('HSET', ENTRIES, SID, json)
keep(tonumber(ARGV[5]), tonumber(ARGV[7]))
return {'updated', json}
