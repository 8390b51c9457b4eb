-- A call from PHONE to the store's number, keying in CODE, verifies the phone of the ticket of the
-- day that registered PHONE and was given CODE (register_phone.lua): only while that ticket is
-- active and still waits for PHONE. Another ticket registering the same number has its own code,
-- so it takes nothing from this one. The number registered on an earlier day is in that day's
-- VERIFY, which no script of today reaches. Single use, like a link.
-- Own ARGV: PHONE (E.164, the call's From), CODE (the digits keyed in). Answers the ticket's token.
local entry = 'call:' .. PHONE .. ':' .. CODE
local number = redis.call('HGET', VERIFY, entry)
if not number then return {'not_found'} end
local t = read_ticket(number)
if not t or t.call_entry ~= entry or t.phone ~= PHONE or t.phone_status ~= 'pending' then return {'not_found'} end
if t.state ~= 'waiting' and t.state ~= 'called' then return {'conflict', t.state} end
drop_pending(t)
t.phone_status = 'verified'
write_ticket(t)
redis.call('HSET', PHONES, t.phone, t.number)
publish({change = 'phone', number = t.number}, t)
autodial_due()
expire_day()
return {'ok', t.token}
