-- Restart the day's numbering. Own ARGV: BUSINESS_DAY, MODE ('force' by staff, '' by the daily job).
-- The daily job resets once per business day, and never on the first start of an installation.
local day = redis.call('GET', DAY)
if MODE ~= 'force' and not day then
  redis.call('SET', DAY, BUSINESS_DAY)
  return {'same'}
end
if MODE ~= 'force' and day == BUSINESS_DAY then return {'same'} end
redis.call('SET', DAY, BUSINESS_DAY)
redis.call('DEL', SEQ, WAITING, TICKETS, TOKENS, SERVING, RECENT, SERVICE_MS, AVG_SERVICE)
return {'ok', publish({change = 'reset'})}
