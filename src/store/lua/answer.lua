-- What the customer pressed on the automatic call: 'on_my_way', or 'cancel' (the ticket is
-- cancelled). The same answer again (Twilio retrying its webhook) changes nothing. The call was
-- made for ticket NUMBER of business day ANSWER_DAY: once another day is current, that number
-- may be someone else's, and the answer changes nothing.
-- Own ARGV: ANSWER_DAY, NUMBER, ANSWER
if ANSWER_DAY ~= DAY then return {'not_found'} end
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
if t.answer == ANSWER then return {'ok', redis.call('GET', VERSION) or 0} end
if t.state ~= 'waiting' and t.state ~= 'called' then return {'conflict', t.state} end
t.answer = ANSWER
local version
if ANSWER == 'cancel' then
  version = finish(t, 'cancelled')
  autodial_due()
else
  write_ticket(t)
  version = publish({change = 'phone', number = t.number}, t)
end
expire_day()
return {'ok', version}
