-- A customer asks to be texted about 30 minutes before the turn (WANT '1'), or no longer ('');
-- a dropped reminder that was scheduled with Twilio is cancelled (through the outbox). A ticket is
-- reminded once: a reminder that went (or was due, or is being sent) and is asked for again stays
-- sent.
-- Own ARGV: NUMBER, TOKEN (the ticket's, from its holder; '' when the system drops it), WANT
local t = read_ticket(NUMBER)
if not t or (TOKEN ~= '' and t.token ~= TOKEN) then return {'not_found'} end
local reminded = t.number .. ':reminded'
if WANT == '1' then
  if t.state ~= 'waiting' then return {'conflict', t.state} end
  if (t.phone_status ~= 'verified' or not t.phone) and not t.line then return {'no_phone'} end
  if not redis.call('HGET', REMINDERS, NUMBER) then
    local r = {asked_at = NOW, to = t.phone}
    if redis.call('HGET', BUDGET, reminded) then r.sent = true end
    redis.call('HSET', REMINDERS, NUMBER, cjson.encode(r))
  end
else
  local raw = redis.call('HGET', REMINDERS, NUMBER)
  local r = raw and cjson.decode(raw)
  if r and (r.sent or r.sending or (r.send_at and r.send_at <= NOW)) then
    redis.call('HSET', BUDGET, reminded, 1)
  end
  drop_reminder(t.number)
end
expire_day()
return {'ok'}
