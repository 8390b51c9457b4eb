-- A customer asks to be texted about 30 minutes before the turn (WANT '1'), or no longer ('');
-- a dropped reminder that was scheduled with Twilio is cancelled (through the outbox).
-- Own ARGV: NUMBER, TOKEN (the ticket's, from its holder; '' when the system drops it), WANT
local t = read_ticket(NUMBER)
if not t or (TOKEN ~= '' and t.token ~= TOKEN) then return {'not_found'} end
if WANT == '1' then
  if t.state ~= 'waiting' then return {'conflict', t.state} end
  if t.phone_status ~= 'verified' or not t.phone then return {'no_phone'} end
  if not redis.call('HGET', REMINDERS, NUMBER) then
    redis.call('HSET', REMINDERS, NUMBER, cjson.encode({asked_at = NOW, to = t.phone}))
  end
else
  drop_reminder(t.number)
end
expire_day()
return {'ok'}
