-- Call the first in line to a counter. Own ARGV: COUNTER
-- The number leaves the line only once its ticket is read: a number whose ticket is missing
-- stays where it is (and the script says so) instead of vanishing.
local number = redis.call('LINDEX', WAITING, 0)
if not number then return {'empty'} end
local t = read_ticket(number)
if not t then return {'corrupt', 'ticket ' .. number .. ' is missing'} end
local version = call_to_counter(t, COUNTER, false)
autodial_due()
expire_day()
return {'ok', t.number, version}
