-- Issue the next number. ARGV: 5 channel, 6 token
local channel, token = ARGV[5], ARGV[6]
local intake = redis.call('GET', INTAKE) or 'open'
if intake == 'paused' or (intake == 'remote_paused' and channel == 'remote') then
  return {'paused', intake}
end
local number = redis.call('INCR', SEQ)
local waiting = redis.call('RPUSH', WAITING, number)
save({queue = Q, number = number, token = token, channel = channel, issued_at = NOW,
      state = 'waiting', recalls = 0})
redis.call('HSET', TOKENS, token, number)
local version = publish({change = 'issued', number = number})
touch()
local avg = redis.call('GET', AVG_SERVICE)
return {'ok', number, waiting - 1, version, avg or ''}
