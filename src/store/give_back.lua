-- Gives back a place taken by take.lua whose ticket (or SMS) was not issued (intake paused, the
-- day full, Redis failing). KEYS: the source's N keys [, CLIENT, HELD]. ARGV: N, RESERVATION.
local N = tonumber(ARGV[1])
local CLIENT, HELD = KEYS[N + 1], KEYS[N + 2]
for i = 1, N + (CLIENT and 1 or 0) do
  if tonumber(redis.call('HGET', KEYS[i], 'taken') or '0') > 0 then
    redis.call('HINCRBY', KEYS[i], 'taken', -1)
  end
end
if HELD then
  redis.call('SREM', HELD, ARGV[2])
end
return {'ok'}
