-- A LINE-linked ticket's reminder is due now (the planner found its time came): the push is made
-- due, once per ticket, and the reminder is sent (the page says so).
-- Own ARGV: NUMBER
local t = read_ticket(NUMBER)
if not t or not t.line then return {'not_found'} end
if t.state ~= 'waiting' then return {'conflict', t.state} end
local raw = redis.call('HGET', REMINDERS, NUMBER)
if raw then
  local r = cjson.decode(raw)
  r.sent, r.send_at = true, NOW
  redis.call('HSET', REMINDERS, NUMBER, cjson.encode(r))
end
if redis.call('HSETNX', DIALED, 'line:reminder:' .. NUMBER, NOW) == 1 then
  make_due('line', {'purpose', 'reminder', 'number', t.number})
end
expire_day()
return {'ok'}
