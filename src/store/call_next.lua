-- Call the first in line to a counter. Own ARGV: COUNTER
local number = redis.call('LPOP', WAITING)
if not number then return {'empty'} end
local t = read_ticket(number)
local version = call_to_counter(t, COUNTER, false)
extend_day()
return {'ok', t.number, version}
