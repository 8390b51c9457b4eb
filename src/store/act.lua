-- A staff or customer action on one ticket.
-- ARGV: 5 action (call, recall, done, no_show, cancel, requeue), 6 number,
--       7 the ticket revision the actor saw ('' = any), 8 counter (call)
local action, expected, counter = ARGV[5], ARGV[7], ARGV[8]
local t = load(ARGV[6])
if not t then return {'not_found'} end
if expected ~= '' and tonumber(expected) ~= t.rev then return {'conflict', t.state} end
local s = t.state
local version
if action == 'call' and s == 'waiting' and counter ~= '' then
  version = call(t, counter, false)
elseif action == 'recall' and s == 'called' then
  version = call(t, t.counter, true)
elseif (action == 'done' or action == 'no_show') and s == 'called' then
  version = finish(t, action)
elseif action == 'cancel' and (s == 'waiting' or s == 'called') then
  version = finish(t, 'cancelled')
elseif action == 'requeue' and (s == 'called' or s == 'no_show') then
  if s == 'called' then leave_counter(t) end
  t.state = 'waiting'
  t.finished_at = nil
  save(t)
  redis.call('LPUSH', WAITING, t.number)
  version = publish({change = 'requeued', number = t.number})
else
  return {'conflict', s}
end
touch()
return {'ok', version}
