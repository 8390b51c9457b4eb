-- Registers a phone for a ticket and, in one step, makes its verification SMS due (a job in the
-- queue's outbox stream, which the senders of every server process work off) and/or lets a call
-- from that number, keying in the ticket's own code, verify it (see verify_call.lua).
-- A ticket waits for one number at a time: registering another removes the earlier number's link
-- and call code. Registering the number it already has changes nothing and publishes nothing
-- (but, pending, texts its link again within the SMS limit); a ticket registers MAX_NUMBERS
-- different numbers at most.
-- Own ARGV: NUMBER, TOKEN (the ticket's: only its holder registers), PHONE (E.164), LINK (the
-- link's token), VERIFY_UNTIL (ms), MAX_SMS (verification SMS per ticket), BODY (the SMS text),
-- SEND_SMS ('1': text the link), CALL_IN ('1': a call from PHONE with the code verifies it),
-- CODES (candidate call codes, space-separated: the first not held by another ticket of the same
-- number is the ticket's), MAX_NUMBERS.
local t = read_ticket(NUMBER)
if not t or t.token ~= TOKEN then return {'not_found'} end
if t.state ~= 'waiting' and t.state ~= 'called' then return {'conflict', t.state} end
local same = t.phone == PHONE
if same and t.phone_status == 'verified' then return {'ok', 0} end
if not same then
  if tonumber(t.numbers or 0) >= tonumber(MAX_NUMBERS) then return {'phones_limit', MAX_NUMBERS} end
  t.numbers = (t.numbers or 0) + 1
  drop_pending(t)
end
if SEND_SMS == '1' then
  local sent = tonumber(t.verify_sms or 0)
  if sent >= tonumber(MAX_SMS) or not spend(t.number) then return {'limit', MAX_SMS} end
  t.verify_sms = sent + 1
  if t.verify_link then redis.call('HDEL', VERIFY, t.verify_link) end
  t.verify_link = LINK
  redis.call('HSET', VERIFY, LINK, t.number .. ':' .. VERIFY_UNTIL .. ':' .. PHONE)
  make_due('sms', {'purpose', 'verify', 'number', t.number, 'to', PHONE, 'body', BODY})
end
if CALL_IN == '1' and not t.call_entry then
  for code in string.gmatch(CODES, '%d+') do
    local entry = 'call:' .. PHONE .. ':' .. code
    if redis.call('HSETNX', VERIFY, entry, t.number) == 1 then
      redis.call('HINCRBY', VERIFY, 'calls:' .. PHONE, 1)
      t.call_entry = entry
      t.call_code = code
      break
    end
  end
  if not t.call_entry then return {'corrupt', 'no free call code'} end
end
local was = t.phone_status
t.phone = PHONE
t.phone_status = 'pending'
local version = 0
if was ~= 'pending' then
  write_ticket(t)
  version = publish({change = 'phone', number = t.number}, t)
else
  -- what screens see of it (its summary, its revision) did not change: staff who saw it act on it
  keep_ticket(t)
end
expire_day()
return {'ok', version}
