-- Issue the next number. Own ARGV: CHANNEL (kiosk, remote, api), TOKEN, LANG
local intake = redis.call('GET', INTAKE) or 'open'
if intake == 'paused' or (intake == 'remote_paused' and CHANNEL == 'remote') then
  return {'paused', intake}
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
