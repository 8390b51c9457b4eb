-- Shared by every script of a queue (prepended by store/mod.rs).
-- KEYS: 1 seq, 2 waiting LIST, 3 tickets HASH, 4 tokens HASH, 5 serving HASH, 6 recent LIST,
--       7 service_ms LIST, 8 avg_service, 9 version, 10 intake, 11 day
-- ARGV: 1 queue id, 2 events channel, 3 now (ms), 4 expire_at (unix s) of the day's keys, 5.. script's own
local Q, CHANNEL, NOW, EXPIRE_AT = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local SEQ, WAITING, TICKETS, TOKENS, SERVING, RECENT, SERVICE_MS, AVG_SERVICE, VERSION, INTAKE, DAY =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], KEYS[11]
local RECENT_CALLS, SERVICE_SAMPLES, MIN_SAMPLES = 6, 20, 3

-- Publishes one change with the queue's next version.
local function publish(change)
  change.queue = Q
  change.version = redis.call('INCR', VERSION)
  redis.call('PUBLISH', CHANNEL, cjson.encode(change))
  return change.version
end

-- The day's keys (tickets and everything personal) expire a while after the day closes.
local function touch()
  for _, key in ipairs({SEQ, WAITING, TICKETS, TOKENS, SERVING, RECENT, SERVICE_MS, AVG_SERVICE}) do
    redis.call('EXPIREAT', key, EXPIRE_AT)
  end
end

local function load(number)
  local raw = redis.call('HGET', TICKETS, number)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function save(t)
  t.rev = (t.rev or 0) + 1
  redis.call('HSET', TICKETS, t.number, cjson.encode(t))
end

local function leave_counter(t)
  if t.counter and redis.call('HGET', SERVING, t.counter) == tostring(t.number) then
    redis.call('HDEL', SERVING, t.counter)
  end
end

local function avg_service()
  local samples = redis.call('LRANGE', SERVICE_MS, 0, -1)
  if #samples < MIN_SAMPLES then return nil end
  local sum = 0
  for _, s in ipairs(samples) do sum = sum + tonumber(s) end
  return math.floor(sum / #samples)
end

-- An active ticket leaves the line or its counter for good: done, no_show or cancelled.
local function finish(t, outcome)
  if t.state == 'waiting' then redis.call('LREM', WAITING, 0, t.number) end
  if t.state == 'called' then leave_counter(t) end
  if outcome == 'done' and t.state == 'called' and t.called_at then
    redis.call('LPUSH', SERVICE_MS, NOW - t.called_at)
    redis.call('LTRIM', SERVICE_MS, 0, SERVICE_SAMPLES - 1)
    local avg = avg_service()
    if avg then redis.call('SET', AVG_SERVICE, avg) end
  end
  t.state = outcome
  t.finished_at = NOW
  save(t)
  local avg = redis.call('GET', AVG_SERVICE)
  return publish({change = 'finished', number = t.number, outcome = outcome, avg_service_ms = avg and tonumber(avg) or nil})
end

-- Calls ticket t to counter; what the counter served before is done.
local function call(t, counter, recall)
  local before = redis.call('HGET', SERVING, counter)
  if before and tonumber(before) ~= t.number then
    local previous = load(before)
    if previous and previous.state == 'called' then finish(previous, 'done') end
  end
  if t.state == 'waiting' then redis.call('LREM', WAITING, 0, t.number) end
  if t.state == 'called' and t.counter ~= counter then leave_counter(t) end
  if recall then
    t.recalls = (t.recalls or 0) + 1
  else
    t.called_at = NOW
  end
  t.state = 'called'
  t.counter = counter
  save(t)
  redis.call('HSET', SERVING, counter, t.number)
  redis.call('LPUSH', RECENT, cjson.encode({number = t.number, counter = counter, at = NOW, recall = recall}))
  redis.call('LTRIM', RECENT, 0, RECENT_CALLS - 1)
  return publish({change = 'called', number = t.number, counter = counter, at = NOW, recall = recall})
end
