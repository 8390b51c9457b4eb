-- A staff or customer action on one ticket (TicketAction; the rule is TicketAction::outcome).
-- Own ARGV: ACTION (call, recall, done, no_show, cancel, requeue, move_back), NUMBER,
--           SEEN_REV (the ticket revision the actor saw; '' = any), COUNTER (for call)
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
if SEEN_REV ~= '' and tonumber(SEEN_REV) ~= t.rev then return {'conflict', t.state} end
local s = t.state
local version
if ACTION == 'call' and s == 'waiting' and COUNTER ~= '' then
  version = call_to_counter(t, COUNTER, false)
elseif ACTION == 'recall' and s == 'called' then
  version = call_to_counter(t, t.counter, true)
elseif (ACTION == 'done' or ACTION == 'no_show') and s == 'called' then
  version = finish(t, ACTION)
elseif ACTION == 'cancel' and (s == 'waiting' or s == 'called') then
  version = finish(t, 'cancelled')
elseif ACTION == 'requeue' and (s == 'called' or s == 'no_show') then
  if s == 'called' then leave_counter(t) end
  t.state = 'waiting'
  t.finished_at = nil
  write_ticket(t)
  redis.call('LPUSH', WAITING, t.number)
  version = publish({change = 'requeued', number = t.number}, t)
elseif ACTION == 'move_back' and s == 'called' then
  -- 「後ろに回す」: PLACES people are called before it (at the end of a shorter line)
  local places = tonumber(redis.call('HGET', RULES, 'places') or MOVE_BACK_PLACES)
  leave_counter(t)
  t.state = 'waiting'
  write_ticket(t)
  local place = redis.call('LLEN', WAITING)
  if places == 0 then
    redis.call('LPUSH', WAITING, t.number)
    place = 0
  elseif place <= places then
    redis.call('RPUSH', WAITING, t.number)
  else
    redis.call('LINSERT', WAITING, 'AFTER', redis.call('LINDEX', WAITING, places - 1), t.number)
    place = places
  end
  version = publish({change = 'requeued', number = t.number, place = place}, t)
else
  return {'conflict', s}
end
autodial_due()
expire_day()
return {'ok', version}
