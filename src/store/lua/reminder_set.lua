-- What the planner did with a ticket's reminder: scheduled with Twilio as SID for SEND_AT (ms),
-- or sent at once (SENT '1'). Refused when the reminder was dropped meanwhile (the ticket called
-- or over): the caller cancels what it made. Own ARGV: NUMBER, SID, SEND_AT, SENT
local raw = redis.call('HGET', REMINDERS, NUMBER)
local t = read_ticket(NUMBER)
if not raw or not t or t.state ~= 'waiting' then return {'not_found'} end
local r = cjson.decode(raw)
-- a reminder scheduled with Twilio or sent counts once in the history's SMS
if not r.sid and not r.sent and (SID ~= '' or SENT == '1') then count_sent('sms') end
r.sid = SID ~= '' and SID or nil
r.send_at = tonumber(SEND_AT)
if SENT == '1' then r.sent = true end
redis.call('HSET', REMINDERS, NUMBER, cjson.encode(r))
expire_day()
return {'ok'}
