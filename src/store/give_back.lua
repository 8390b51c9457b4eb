-- Gives back a place taken by take.lua whose ticket was not issued (intake paused, the day
-- full, Redis failing). KEYS: SOURCE [, CLIENT, HELD]. ARGV: RESERVATION.
for i = 1, 2 do
  local key = KEYS[i]
  if key and tonumber(redis.call('HGET', key, 'taken') or '0') > 0 then
    redis.call('HINCRBY', key, 'taken', -1)
  end
end
if KEYS[3] then
  redis.call('SREM', KEYS[3], ARGV[1])
end
return {'ok'}
