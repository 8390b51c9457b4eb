-- Registers a phone for a ticket and makes its verification SMS due, in one step (the SMS is a job
-- in the queue's outbox stream, which the senders of every server process work off).
-- Own ARGV: NUMBER, TOKEN (the ticket's: only its holder registers), PHONE (E.164), LINK (the
-- link's token), VERIFY_UNTIL (ms), MAX_SMS (verification SMS per ticket), BODY (the SMS text).
local t = read_ticket(NUMBER)
if not t or t.token ~= TOKEN then return {'not_found'} end
if t.state ~= 'waiting' and t.state ~= 'called' then return {'conflict', t.state} end
local sent = tonumber(t.verify_sms or 0)
if sent >= tonumber(MAX_SMS) or not spend(t.number) then return {'limit', MAX_SMS} end
t.phone = PHONE
t.phone_status = 'pending'
t.verify_sms = sent + 1
write_ticket(t)
redis.call('HSET', VERIFY, LINK, t.number .. ':' .. VERIFY_UNTIL .. ':' .. PHONE)
make_due('sms', {'purpose', 'verify', 'number', t.number, 'to', PHONE, 'body', BODY})
local version = publish({change = 'phone', number = t.number}, t)
expire_day()
return {'ok', version}
