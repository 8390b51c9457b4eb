-- Writes account ID's RECORD (JSON) if the stored one is still at revision READ_REV: 1 when
-- written, 0 when it changed meanwhile (or is gone).
local raw = redis.call('HGET', ALL, ID)
if not raw then return 0 end
local rev = cjson.decode(raw).rev or 0
if rev ~= READ_REV then return 0 end
redis.call('HSET', ALL, ID, RECORD)
return 1
