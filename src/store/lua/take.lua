-- One remote take (remote check-in, the anonymous API, a verification SMS, a kiosk): checks every
-- limit and, within them all, takes a place; else refuses and takes nothing. All keys share the
-- hash tag {limits}.
-- KEYS: SOURCES (the source's keys: an address's networks, a kiosk, ...), HOLDER (CLIENT and
-- HELD, for a phone with a session; else none).
-- ARGV: WINDOW (s), MAX_CLIENT, MAX_ACTIVE, RESERVATION (the place HELD keeps for this take),
-- SOURCE_MAX (each source's limit), RELEASE (members of HELD to release first: the client's
-- tickets finished since).
-- A window starts with its first take and is never extended: a refusal is counted (`refused`)
-- but does not move it.
local CLIENT, HELD = HOLDER[1], HOLDER[2]

local function taken(key)
  return tonumber(redis.call('HGET', key, 'taken') or '0')
end

local function refuse(key, why)
  redis.call('HINCRBY', key, 'refused', 1)
  redis.call('EXPIRE', key, WINDOW, 'NX')
  return {'refused', why, redis.call('TTL', key)}
end

for i, key in ipairs(SOURCES) do
  if taken(key) >= tonumber(SOURCE_MAX[i]) then
    return refuse(key, 'source')
  end
end
if CLIENT then
  for _, place in ipairs(RELEASE) do
    redis.call('SREM', HELD, place)
  end
  if taken(CLIENT) >= MAX_CLIENT then
    return refuse(CLIENT, 'per_hour')
  end
  if redis.call('SCARD', HELD) >= MAX_ACTIVE then
    return refuse(CLIENT, 'active')
  end
end
local counted = {unpack(SOURCES)}
if CLIENT then table.insert(counted, CLIENT) end
for _, key in ipairs(counted) do
  redis.call('HINCRBY', key, 'taken', 1)
  redis.call('EXPIRE', key, WINDOW, 'NX')
end
if CLIENT then
  redis.call('SADD', HELD, RESERVATION)
  redis.call('EXPIRE', HELD, 86400)
end
return {'ok'}
