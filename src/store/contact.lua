-- Where the latest SMS or call about a ticket stands (from Twilio's status callbacks). An automatic
-- call that did not reach the customer (busy, no answer, failed, a machine) makes an SMS due
-- instead, once per ticket.
-- Own ARGV: NUMBER, KIND ('sms' or 'call'), STATUS (Twilio's), TEXT_INSTEAD ('1': send the SMS)
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
t.contact = {kind = KIND, status = STATUS}
write_ticket(t)
local version = publish({change = 'phone', number = t.number}, t)
if TEXT_INSTEAD == '1' and (t.state == 'waiting' or t.state == 'called') and t.phone
    and redis.call('HSETNX', DIALED, t.number .. ':text', NOW) == 1 and spend(t.number) then
  make_due('turn_text', {'number', t.number, 'to', t.phone, 'lang', t.lang or 'ja', 'body', ''})
end
expire_day()
return {'ok', version}
