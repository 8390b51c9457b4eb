-- A LINE user sent ticket's one-time CODE: the ticket (still waiting) now follows on LINE, linked
-- to USER (kept in the day's LINE hash, never in the ticket or an event), and every open copy of
-- its page is told. The code is used up. If the turn is already near, the push is due at once.
-- Own ARGV: CODE, USER. Answers the ticket's number and language.
local number = redis.call('HGET', LINE, 'code:' .. CODE)
if not number then return {'not_found'} end
local t = read_ticket(number)
if not t then return {'not_found'} end
if t.state ~= 'waiting' then return {'conflict', t.state} end
redis.call('HDEL', LINE, 'code:' .. CODE, 'code_of:' .. number)
t.line = true
write_ticket(t)
redis.call('HSET', LINE, 'to:' .. number, USER)
publish({change = 'phone', number = t.number}, t)
autodial_due()
expire_day()
return {'ok', t.number, t.lang or 'ja'}
