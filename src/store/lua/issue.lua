-- Issue the next number. Own ARGV: CHANNEL (kiosk, remote, api, phone), TOKEN, LANG,
-- MAX_TICKETS (the day's cap; '0' = none), so the day's keys and every snapshot stay bounded,
-- REMOTE_MAX (for a ticket taken from outside the store: remote intake's share of the cap; ''
-- for one taken in the store), so a flood from outside never refuses the people in the shop,
-- PHONE (E.164, or ''): the number a ticket taken by SMS or a call keeps, verified (it texted or
-- called us), LOCAL_MINUTE (now, local minutes of the day), COUNTERS (the counters serving),
-- SERVICE (the service time in ms the history learned for this hour; '': the day's average).
-- TOKEN is new for every press: met again, it is the same press sent again (the Redis client
-- sends a command once more when its connection was lost before the answer came, though the
-- script may have run), and it gets the ticket it was issued, not a second number.
local issued = redis.call('HGET', TOKENS, TOKEN)
if issued then
  local ahead = redis.call('LPOS', WAITING, issued) or 0
  return {'ok', tonumber(issued), ahead, tonumber(redis.call('GET', VERSION) or 0),
          redis.call('GET', AVG_SERVICE) or '', DAY}
end
-- the console's opening hours (local minutes of the day; LOCAL_MINUTE is now's): the kiosk stops
-- at closing time; a ticket from outside the store stops as soon as the line's predicted finish
-- (everyone ahead and it, at the learned or average service over COUNTERS) passes closing time
local opens = tonumber(redis.call('HGET', RULES, 'opens') or '')
local closes = tonumber(redis.call('HGET', RULES, 'closes') or '')
if opens and closes then
  if tonumber(LOCAL_MINUTE) < opens then return {'closed', 'before'} end
  if tonumber(LOCAL_MINUTE) >= closes then return {'closed', 'after'} end
  if CHANNEL == 'remote' or CHANNEL == 'phone' then
    local avg = tonumber(SERVICE) or tonumber(redis.call('GET', AVG_SERVICE) or 0)
    local ahead = redis.call('LLEN', WAITING)
    local finish = tonumber(LOCAL_MINUTE) + math.ceil((ahead + 1) * avg / math.max(1, tonumber(COUNTERS)) / 60000)
    if finish > closes then return {'closed', 'remote'} end
  end
end
-- 受付上限: the console's daily limit, for every channel
local limit = tonumber(redis.call('HGET', RULES, 'limit') or 0)
if limit > 0 and tonumber(redis.call('GET', SEQ) or 0) >= limit then
  return {'full', tostring(limit)}
end
local intake = redis.call('GET', INTAKE) or 'open'
if intake == 'paused' or (intake == 'remote_paused' and (CHANNEL == 'remote' or CHANNEL == 'phone')) then
  return {'paused', intake}
end
local cap = tonumber(MAX_TICKETS)
if cap > 0 and tonumber(redis.call('GET', SEQ) or 0) >= cap then
  return {'full', MAX_TICKETS}
end
if REMOTE_MAX ~= '' then
  if tonumber(redis.call('GET', REMOTE) or 0) >= tonumber(REMOTE_MAX) then
    return {'remote_full', REMOTE_MAX}
  end
  redis.call('INCR', REMOTE)
end
local number = redis.call('INCR', SEQ)
local waiting = redis.call('RPUSH', WAITING, number)
local t = {queue = Q, number = number, token = TOKEN, lang = LANG, channel = CHANNEL,
           issued_at = NOW, state = 'waiting', recalls = 0}
if PHONE ~= '' then
  t.phone = PHONE
  t.phone_status = 'verified'
  redis.call('HSET', PHONES, PHONE, number)
  -- the customer has just been told the number and the line: no automatic call this close
  if AUTODIAL > 0 and waiting - 1 <= AUTODIAL then redis.call('HSETNX', DIALED, number, NOW) end
end
write_ticket(t)
redis.call('HSET', TOKENS, TOKEN, number)
local version = publish({change = 'issued', number = number}, t)
expire_day()
local avg = redis.call('GET', AVG_SERVICE)
return {'ok', number, waiting - 1, version, avg or '', DAY}
