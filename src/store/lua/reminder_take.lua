-- The planner is about to send or schedule NUMBER's reminder for the first time: it spends one of
-- the ticket's messages. Refused when the reminder was dropped meanwhile (the ticket called or
-- over) or the ticket has caused all it may (the reminder is then dropped: it will not go).
-- A reminder sent at once (AT_ONCE '1') counts as sent from here on: a customer who turns it off
-- and on while it goes does not get it twice. Own ARGV: NUMBER, AT_ONCE
local raw = redis.call('HGET', REMINDERS, NUMBER)
local t = read_ticket(NUMBER)
if not raw or not t or t.state ~= 'waiting' then return {'not_found'} end
if not spend(t.number) then
  drop_reminder(t.number)
  return {'limit', MESSAGES_PER_TICKET}
end
if AT_ONCE == '1' then
  local r = cjson.decode(raw)
  r.sending = true
  redis.call('HSET', REMINDERS, NUMBER, cjson.encode(r))
end
expire_day()
return {'ok'}
