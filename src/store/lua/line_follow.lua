-- A LINE user is about to follow one more ticket: within MAX at once (all queues together), the
-- place is kept; else refused and nothing kept. KEYS: FOLLOWS (the user's SET of places).
-- ARGV: MAX, PLACE (`queue/day/number`), KEEP_S (how long the set lives), RELEASE (places to let
-- go first: tickets over since).
for _, place in ipairs(RELEASE) do redis.call('SREM', FOLLOWS, place) end
if redis.call('SISMEMBER', FOLLOWS, PLACE) == 1 then return {'ok'} end
if redis.call('SCARD', FOLLOWS) >= MAX then return {'full'} end
redis.call('SADD', FOLLOWS, PLACE)
redis.call('EXPIRE', FOLLOWS, KEEP_S)
return {'ok'}
