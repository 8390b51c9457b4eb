-- Issue the next number. Own ARGV: CHANNEL (kiosk, remote, api), TOKEN, LANG,
-- MAX_TICKETS (the day's cap; '0' = none), so the day's keys and every snapshot stay bounded.
local intake = redis.call('GET', INTAKE) or 'open'
if intake == 'paused' or (intake == 'remote_paused' and CHANNEL == 'remote') then
  return {'paused', intake}
end
local cap = tonumber(MAX_TICKETS)
if cap > 0 and tonumber(redis.call('GET', SEQ) or 0) >= cap then
  return {'full', MAX_TICKETS}
end
local number = redis.call('INCR', SEQ)
local waiting = redis.call('RPUSH', WAITING, number)
local t = {queue = Q, number = number, token = TOKEN, lang = LANG, channel = CHANNEL,
           issued_at = NOW, state = 'waiting', recalls = 0}
write_ticket(t)
redis.call('HSET', TOKENS, TOKEN, number)
local version = publish({change = 'issued', number = number}, t)
extend_day()
local avg = redis.call('GET', AVG_SERVICE)
return {'ok', number, waiting - 1, version, avg or ''}
