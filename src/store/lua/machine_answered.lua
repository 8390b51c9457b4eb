-- Twilio's answering machine detection says a machine (or a fax) took ticket NUMBER's automatic
-- call: the SMS instead is made due (once per ticket, see text_instead). The callback carries no
-- call status, and may come after the call's last status: what the ticket shows is left alone.
-- Own ARGV: NUMBER.
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
text_instead(t)
expire_day()
return {'ok'}
