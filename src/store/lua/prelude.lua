-- Shared by every script of a queue, after the generated header that binds KEYS and ARGV to
-- names (store/binder.rs): DAY_KEY, VERSION, OUTBOX, ... and Q, EVENTS, NOW, EXPIRE_AT,
-- BUSINESS_DAY, then the script's own arguments; declares the day's keys (SEQ, WAITING,
-- TICKETS, ...) with bind_day(); and the constants Rust shares (RECENT_CALLS, SUMMARY_FIELDS).
-- At its end the prelude settles which business day is current (turning it when this process's
-- date is later) and binds the day's keys to it.
local SERVICE_SAMPLES, MIN_SAMPLES = 20, 3
-- the days kept in DAYS (for telling an old ticket's token from an unknown one)
local DAYS_KEPT = 10
local OUTBOX_MAXLEN = 10000
-- the console's setting of the automatic call's reach, over the configured one
do
  local set = redis.call('GET', AUTODIAL_SET)
  if set then AUTODIAL = tonumber(set) end
end
-- What events carry of a ticket (SUMMARY_FIELDS, TicketSummary's): never its token, its language
-- or anything personal.
local function summary_of(t)
  local s = {}
  for _, field in ipairs(SUMMARY_FIELDS) do s[field] = t[field] end
  return s
end

-- Publishes one change with the queue's next version (and the ticket it is about, if any).
local function publish(change, t)
  change.queue = Q
  change.version = redis.call('INCR', VERSION)
  if t then change.ticket = summary_of(t) end
  redis.call('PUBLISH', EVENTS, cjson.encode(change))
  return change.version
end

-- When the current day's keys expire: EXPIRE_AT is for this process's business day; a process
-- whose clock is behind another's works in the later day, which closes a day later.
local function day_expires_at()
  if string.sub(DAY, 1, 10) > BUSINESS_DAY then return EXPIRE_AT + 86400 end
  return EXPIRE_AT
end

-- The day's keys (tickets and everything personal) expire at the day's close plus the retention:
-- the day is in their names, so no later day's script ever moves it.
local function expire_day()
  local at = day_expires_at()
  for _, key in ipairs(day_keys()) do
    redis.call('EXPIREAT', key, at)
  end
end

-- Makes an SMS or call due: a job of the queue's outbox, of the current day (a job of a day that
-- is over is never sent), counted in the day's STATS by quarter hour for the history (sms or
-- call; the cancel of a scheduled SMS is not one). `fields`: the job's own fields, name then value.
local COUNTED = {sms = 'sms', turn_text = 'sms', call = 'call', autodial = 'call'}
local function count_sent(what)
  redis.call('HINCRBY', STATS, what .. ':' .. math.floor(NOW / 900000), 1)
  redis.call('EXPIREAT', STATS, day_expires_at())
end
local function make_due(kind, fields)
  if COUNTED[kind] then count_sent(COUNTED[kind]) end
  redis.call('XADD', OUTBOX, 'MAXLEN', '~', OUTBOX_MAXLEN, '*', 'kind', kind, 'day', DAY, 'at', NOW, unpack(fields))
  local at = day_expires_at()
  if redis.call('EXPIRETIME', OUTBOX) < at then redis.call('EXPIREAT', OUTBOX, at) end
end

local function read_ticket(number)
  local raw = redis.call('HGET', TICKETS, number)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function write_ticket(t)
  t.rev = (t.rev or 0) + 1
  redis.call('HSET', TICKETS, t.number, cjson.encode(t))
end

-- Stores what only the ticket's own record holds (its pending number, its codes), without a new
-- revision: nothing screens see of it changed.
local function keep_ticket(t)
  redis.call('HSET', TICKETS, t.number, cjson.encode(t))
end

-- The ticket no longer waits for its pending number: its verification link and its call code stop
-- working (the field counting the number's call codes goes with its last one).
local function drop_pending(t)
  if t.verify_link then
    redis.call('HDEL', VERIFY, t.verify_link)
    t.verify_link = nil
  end
  if t.call_entry then
    if redis.call('HDEL', VERIFY, t.call_entry) == 1 and t.phone then
      local field = 'calls:' .. t.phone
      if redis.call('HINCRBY', VERIFY, field, -1) <= 0 then redis.call('HDEL', VERIFY, field) end
    end
    t.call_entry = nil
    t.call_code = nil
  end
end

local function leave_counter(t)
  if t.counter and redis.call('HGET', SERVING, t.counter) == tostring(t.number) then
    redis.call('HDEL', SERVING, t.counter)
  end
end

local function average_service_ms()
  local samples = redis.call('LRANGE', SERVICE_MS, 0, -1)
  if #samples < MIN_SAMPLES then return nil end
  local sum = 0
  for _, s in ipairs(samples) do sum = sum + tonumber(s) end
  return math.floor(sum / #samples)
end

-- Every SMS and call a ticket causes (its verification texts, its reminder, the automatic call,
-- the text instead) counts against one budget, so nothing a customer can repeat (a reminder
-- turned off and on, a number registered anew) sends without end. Staff's own calls and texts do
-- not count. Answers whether the ticket may cause one more, and counts it.
local MESSAGES_PER_TICKET = 6
local function spend(number)
  if tonumber(redis.call('HGET', BUDGET, number) or 0) >= MESSAGES_PER_TICKET then return false end
  redis.call('HINCRBY', BUDGET, number, 1)
  return true
end

-- The automatic call did not reach the customer (busy, no answer, a machine): an SMS is made due
-- instead, once per ticket however many callbacks (status, answering machine detection, retries)
-- report it, while the ticket is active.
local function text_instead(t)
  if (t.state == 'waiting' or t.state == 'called') and t.phone
      and redis.call('HSETNX', DIALED, t.number .. ':text', NOW) == 1 and spend(t.number) then
    make_due('turn_text', {'number', t.number, 'to', t.phone, 'lang', t.lang or 'ja', 'body', ''})
  end
end

-- A ticket's SMS reminder ends when it is called or over; one scheduled with Twilio is cancelled
-- (a job of the outbox).
local function drop_reminder(number)
  local raw = redis.call('HGET', REMINDERS, number)
  if not raw then return end
  redis.call('HDEL', REMINDERS, number)
  local r = cjson.decode(raw)
  if r.sid and not r.sent then
    make_due('unschedule', {'sid', r.sid, 'number', number, 'to', r.to or '', 'body', ''})
  end
end

-- An active ticket leaves the line or its counter for good: done, no_show or cancelled.
local function finish(t, outcome)
  if t.state == 'waiting' then redis.call('LREM', WAITING, 1, t.number) end
  if t.state == 'called' then leave_counter(t) end
  if outcome == 'done' and t.state == 'called' and t.called_at then
    redis.call('LPUSH', SERVICE_MS, NOW - t.called_at)
    redis.call('LTRIM', SERVICE_MS, 0, SERVICE_SAMPLES - 1)
    local avg = average_service_ms()
    if avg then redis.call('SET', AVG_SERVICE, avg) end
  end
  t.state = outcome
  t.finished_at = NOW
  drop_reminder(t.number)
  -- a phone still pending stays unverified: its link and call code end with the ticket
  drop_pending(t)
  write_ticket(t)
  local avg = redis.call('GET', AVG_SERVICE)
  return publish({change = 'finished', number = t.number, outcome = outcome, avg_service_ms = avg and tonumber(avg) or nil}, t)
end

-- Calls ticket t to counter; what the counter served before is done.
local function call_to_counter(t, counter, recall)
  local before = redis.call('HGET', SERVING, counter)
  if before and tonumber(before) ~= t.number then
    local previous = read_ticket(before)
    if previous and previous.state == 'called' then finish(previous, 'done') end
  end
  if t.state == 'waiting' then redis.call('LREM', WAITING, 1, t.number) end
  if t.state == 'called' and t.counter ~= counter then leave_counter(t) end
  if recall then
    t.recalls = (t.recalls or 0) + 1
  else
    t.called_at = NOW
  end
  t.state = 'called'
  t.counter = counter
  drop_reminder(t.number)
  write_ticket(t)
  redis.call('HSET', SERVING, counter, t.number)
  -- a ticket that follows on LINE is told once, whatever recalls follow
  if t.line and redis.call('HSETNX', DIALED, 'line:called:' .. t.number, NOW) == 1 then
    make_due('line', {'purpose', 'called', 'number', t.number})
  end
  redis.call('LPUSH', RECENT, cjson.encode({number = t.number, counter = counter, at = NOW, recall = recall}))
  redis.call('LTRIM', RECENT, 0, RECENT_CALLS - 1)
  return publish({change = 'called', number = t.number, counter = counter, at = NOW, recall = recall}, t)
end

-- Auto-dial: every ticket with a verified phone that is now at most AUTODIAL places from its turn
-- (people ahead) gets one call, made due in the outbox. DIALED remembers who had theirs, so it is
-- exactly one per ticket however many changes (and server processes) follow. AUTODIAL 0: never.
-- A ticket that follows on LINE gets one push at the same place (`line:near:N` in DIALED).
local function autodial_due()
  if AUTODIAL <= 0 then return end
  for _, number in ipairs(redis.call('LRANGE', WAITING, 0, AUTODIAL)) do
    local t = read_ticket(number)
    if t and t.phone_status == 'verified' and t.phone
        and redis.call('HSETNX', DIALED, number, NOW) == 1 and spend(number) then
      make_due('autodial', {'number', number, 'to', t.phone, 'lang', t.lang or 'ja', 'body', ''})
    end
    if t and t.line and redis.call('HSETNX', DIALED, 'line:near:' .. number, NOW) == 1 then
      make_due('line', {'purpose', 'near', 'number', number})
    end
  end
end

-- Starts business day `day`: the last day's keys stay as they are until they expire, so nothing
-- of it is deleted (nor reachable from the new day); its reminders scheduled with Twilio are
-- cancelled, and every screen is told (a reset). TURNED: this script started a day after another
-- (the installation's first day only is noted).
local TURNED = false
local function turn_to(day)
  local previous = DAY
  if previous then
    for _, number in ipairs(redis.call('HKEYS', REMINDERS)) do drop_reminder(number) end
  end
  DAY = day
  bind_day()
  redis.call('SET', DAY_KEY, DAY)
  redis.call('LPUSH', DAYS, DAY)
  redis.call('LTRIM', DAYS, 0, DAYS_KEPT - 1)
  if previous then
    TURNED = true
    publish({change = 'reset'})
  end
end

-- The current business day: the first script after the boundary, in any process, turns it; a
-- process whose clock is behind stays in the day another has turned to.
DAY = redis.call('GET', DAY_KEY)
if DAY then bind_day() end
if not DAY or string.sub(DAY, 1, 10) < BUSINESS_DAY then turn_to(BUSINESS_DAY) end
