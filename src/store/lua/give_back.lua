-- Gives back a place taken by take.lua whose ticket (or SMS) was not issued (intake paused, the
-- day full, Redis failing). KEYS: SOURCES, HOLDER (CLIENT and HELD, or none), as take.lua's.
-- ARGV: RESERVATION.
local CLIENT, HELD = HOLDER[1], HOLDER[2]
local counted = {unpack(SOURCES)}
if CLIENT then table.insert(counted, CLIENT) end
for _, key in ipairs(counted) do
  if tonumber(redis.call('HGET', key, 'taken') or '0') > 0 then
    redis.call('HINCRBY', key, 'taken', -1)
  end
end
if HELD then
  redis.call('SREM', HELD, RESERVATION)
end
return {'ok'}
