-- Issue the next ticket of one queue, atomically.
-- KEYS: 1 number sequence, 2 waiting LIST, 3 tickets HASH, 4 version
-- ARGV: 1 queue id, 2 channel, 3 issued_at (ms), 4 pub/sub channel of the queue's events
local number = redis.call('INCR', KEYS[1])
local waiting = redis.call('RPUSH', KEYS[2], number)
redis.call('HSET', KEYS[3], number, cjson.encode({
  number = number, channel = ARGV[2], issued_at = tonumber(ARGV[3]), state = 'waiting'
}))
local version = redis.call('INCR', KEYS[4])
redis.call('PUBLISH', ARGV[4], cjson.encode({
  type = 'issued', queue = ARGV[1], version = version, number = number, waiting = waiting
}))
return { number, waiting, version }
