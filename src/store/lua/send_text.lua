-- Makes an SMS to a ticket's verified phone due (a job in the queue's outbox).
-- Own ARGV: NUMBER, BODY, PURPOSE (what it is for, in the log), SPEND ('1': it counts against the
-- ticket's budget of messages, as what a customer's own doing causes does; staff's texts do not).
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
if t.phone_status ~= 'verified' or not t.phone then return {'no_phone'} end
if SPEND == '1' and not spend(t.number) then return {'limit', MESSAGES_PER_TICKET} end
make_due('sms', {'purpose', PURPOSE, 'number', t.number, 'to', t.phone, 'body', BODY})
expire_day()
return {'ok'}
