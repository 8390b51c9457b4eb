-- Makes an SMS to a ticket's verified phone due (a job in the queue's outbox).
-- Own ARGV: NUMBER, BODY, PURPOSE (what it is for, in the log)
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
if t.phone_status ~= 'verified' or not t.phone then return {'no_phone'} end
make_due('sms', {'purpose', PURPOSE, 'number', t.number, 'to', t.phone, 'body', BODY})
expire_day()
return {'ok'}
