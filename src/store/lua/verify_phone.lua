-- Opens a verification link: single use, valid until its time, and only for the number it was sent
-- to (a later registration of another number is not verified by an older link). An unknown (or
-- used) link is 'expired' too: the customer is told the same. The ticket's call code ends with it.
-- Own ARGV: LINK (the link's token). Answers the ticket's token.
local entry = redis.call('HGET', VERIFY, LINK)
if not entry then return {'expired'} end
redis.call('HDEL', VERIFY, LINK)
local number, valid_until, phone = string.match(entry, '^(%d+):(%d+):(.+)$')
if not number then return {'expired'} end
if tonumber(valid_until) < NOW then return {'expired'} end
local t = read_ticket(number)
if not t or t.phone ~= phone then return {'expired'} end
if t.phone_status ~= 'verified' then
  drop_pending(t)
  t.phone_status = 'verified'
  write_ticket(t)
  redis.call('HSET', PHONES, t.phone, t.number)
  publish({change = 'phone', number = t.number}, t)
  autodial_due()
  expire_day()
end
return {'ok', t.token}
