-- Makes a voice call to a ticket's verified phone due (a job in the queue's outbox).
-- Own ARGV: NUMBER, TWIML (what the call says), TEXT (the same words, for the dev outbox).
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
if t.state ~= 'waiting' and t.state ~= 'called' then return {'conflict', t.state} end
if t.phone_status ~= 'verified' or not t.phone then return {'no_phone'} end
make_due('call', {'purpose', 'call_out', 'number', t.number, 'to', t.phone, 'twiml', TWIML, 'body', TEXT})
return {'ok'}
