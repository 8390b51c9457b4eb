-- Where the latest SMS or call about a ticket stands: noted by the outbox's sender once it made one
-- (or refused it, or kept it in the dev outbox), then moved on by Twilio's status callbacks. An
-- automatic call that did not reach the customer (busy, no answer, failed, a machine) makes an SMS
-- due instead, once per ticket.
-- Own ARGV: NUMBER, KIND ('sms' or 'call'), SID (the message's or call's), STATUS (Twilio's),
-- PROGRESS (how far along STATUS is), TEXT_INSTEAD ('1': send the SMS)
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
-- the sender's note (queued) can come after Twilio's first callback about the same Sid: a status
-- never takes the ticket's SMS or call back (the Sid and its progress are not in events)
if t.contact_sid == SID and (t.contact_progress or 0) >= tonumber(PROGRESS) then return {'ok'} end
t.contact = {kind = KIND, status = STATUS, at = NOW}
t.contact_sid, t.contact_progress = SID, tonumber(PROGRESS)
write_ticket(t)
local version = publish({change = 'phone', number = t.number}, t)
if TEXT_INSTEAD == '1' then text_instead(t) end
expire_day()
return {'ok', version}
