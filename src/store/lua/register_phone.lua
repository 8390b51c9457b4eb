-- Registers a phone for a ticket and, in one step, makes its verification SMS due (a job in the
-- queue's outbox stream, which the senders of every server process work off) and/or lets a call
-- from that number verify it (see verify_call.lua).
-- Own ARGV: NUMBER, TOKEN (the ticket's: only its holder registers), PHONE (E.164), LINK (the
-- link's token), VERIFY_UNTIL (ms), MAX_SMS (verification SMS per ticket), BODY (the SMS text),
-- SEND_SMS ('1': text the link), CALL_IN ('1': a call from PHONE verifies it).
local t = read_ticket(NUMBER)
if not t or t.token ~= TOKEN then return {'not_found'} end
if t.state ~= 'waiting' and t.state ~= 'called' then return {'conflict', t.state} end
if SEND_SMS == '1' then
  local sent = tonumber(t.verify_sms or 0)
  if sent >= tonumber(MAX_SMS) or not spend(t.number) then return {'limit', MAX_SMS} end
  t.verify_sms = sent + 1
  redis.call('HSET', VERIFY, LINK, t.number .. ':' .. VERIFY_UNTIL .. ':' .. PHONE)
  make_due('sms', {'purpose', 'verify', 'number', t.number, 'to', PHONE, 'body', BODY})
end
-- the latest ticket to register a number is the one a call from it verifies
if CALL_IN == '1' then redis.call('HSET', VERIFY, 'call:' .. PHONE, t.number) end
t.phone = PHONE
t.phone_status = 'pending'
write_ticket(t)
local version = publish({change = 'phone', number = t.number}, t)
expire_day()
return {'ok', version}
