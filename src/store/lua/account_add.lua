-- Adds account ID with RECORD (JSON) unless LOGIN is taken: 1 when added, 0 when taken.
if redis.call('HSETNX', LOGINS, LOGIN, ID) == 0 then return 0 end
redis.call('HSET', ALL, ID, RECORD)
return 1
