-- Restart the day's numbering. ARGV: 5 business day, 6 'force' (staff) or '' (daily job).
-- The daily job resets once per business day, and never on the first start of an installation.
local day = redis.call('GET', DAY)
if ARGV[6] ~= 'force' and day ~= ARGV[5] and not day then
  redis.call('SET', DAY, ARGV[5])
  return {'same'}
end
if ARGV[6] ~= 'force' and day == ARGV[5] then return {'same'} end
redis.call('SET', DAY, ARGV[5])
redis.call('DEL', SEQ, WAITING, TICKETS, TOKENS, SERVING, RECENT, SERVICE_MS, AVG_SERVICE)
return {'ok', publish({change = 'reset'})}
