-- Appends ENTRY (JSON) to the audit trail and makes NEXT ('<seq> <hash>') its head, if the head
-- is still PREV ('' before the first entry): 1 when appended, 0 when another came first.
if (redis.call('GET', HEAD) or '') ~= PREV then return 0 end
redis.call('RPUSH', LOG, ENTRY)
redis.call('SET', HEAD, NEXT)
return 1
