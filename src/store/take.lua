-- One remote take (remote check-in, the anonymous API): checks every limit and, within them all,
-- takes a place; else refuses and takes nothing. All keys share the hash tag {limits}.
-- KEYS: SOURCE (a client address or a kiosk) [, CLIENT, HELD].
-- ARGV: WINDOW (s), MAX_SOURCE, MAX_CLIENT, MAX_ACTIVE,
-- RESERVATION, then members of HELD to release first (the client's tickets finished since).
-- A window starts with its first take and is never extended: a refusal is counted (`refused`)
-- but does not move it.
local SOURCE, CLIENT, HELD = KEYS[1], KEYS[2], KEYS[3]
local WINDOW = tonumber(ARGV[1])

local function taken(key)
  return tonumber(redis.call('HGET', key, 'taken') or '0')
end

local function refuse(key, why)
  redis.call('HINCRBY', key, 'refused', 1)
  redis.call('EXPIRE', key, WINDOW, 'NX')
  return {'refused', why, redis.call('TTL', key)}
end

if taken(SOURCE) >= tonumber(ARGV[2]) then
  return refuse(SOURCE, 'source')
end
if CLIENT then
  for i = 6, #ARGV do
    redis.call('SREM', HELD, ARGV[i])
  end
  if taken(CLIENT) >= tonumber(ARGV[3]) then
    return refuse(CLIENT, 'per_hour')
  end
  if redis.call('SCARD', HELD) >= tonumber(ARGV[4]) then
    return refuse(CLIENT, 'active')
  end
end
for _, key in ipairs({SOURCE, CLIENT}) do
  redis.call('HINCRBY', key, 'taken', 1)
  redis.call('EXPIRE', key, WINDOW, 'NX')
end
if CLIENT then
  redis.call('SADD', HELD, ARGV[5])
  redis.call('EXPIRE', HELD, 86400)
end
return {'ok'}
