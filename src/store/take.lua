-- One remote take (remote check-in, the anonymous API, a verification SMS, a kiosk): checks every
-- limit and, within them all, takes a place; else refuses and takes nothing. All keys share the
-- hash tag {limits}.
-- KEYS: the source's N keys (an address's networks, a kiosk, ...) [, CLIENT, HELD].
-- ARGV: WINDOW (s), N, the N sources' limits, MAX_CLIENT, MAX_ACTIVE, RESERVATION, then members
-- of HELD to release first (the client's tickets finished since).
-- A window starts with its first take and is never extended: a refusal is counted (`refused`)
-- but does not move it.
local WINDOW = tonumber(ARGV[1])
local N = tonumber(ARGV[2])
local CLIENT, HELD = KEYS[N + 1], KEYS[N + 2]
local MAX_CLIENT, MAX_ACTIVE, RESERVATION = tonumber(ARGV[N + 3]), tonumber(ARGV[N + 4]), ARGV[N + 5]

local function taken(key)
  return tonumber(redis.call('HGET', key, 'taken') or '0')
end

local function refuse(key, why)
  redis.call('HINCRBY', key, 'refused', 1)
  redis.call('EXPIRE', key, WINDOW, 'NX')
  return {'refused', why, redis.call('TTL', key)}
end

for i = 1, N do
  if taken(KEYS[i]) >= tonumber(ARGV[2 + i]) then
    return refuse(KEYS[i], 'source')
  end
end
if CLIENT then
  for i = N + 6, #ARGV do
    redis.call('SREM', HELD, ARGV[i])
  end
  if taken(CLIENT) >= MAX_CLIENT then
    return refuse(CLIENT, 'per_hour')
  end
  if redis.call('SCARD', HELD) >= MAX_ACTIVE then
    return refuse(CLIENT, 'active')
  end
end
for i = 1, N + (CLIENT and 1 or 0) do
  redis.call('HINCRBY', KEYS[i], 'taken', 1)
  redis.call('EXPIRE', KEYS[i], WINDOW, 'NX')
end
if CLIENT then
  redis.call('SADD', HELD, RESERVATION)
  redis.call('EXPIRE', HELD, 86400)
end
return {'ok'}
