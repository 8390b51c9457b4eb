-- Call the first in line to a counter. ARGV: 5 counter
local number = redis.call('LPOP', WAITING)
if not number then return {'empty'} end
local t = load(number)
local version = call(t, ARGV[5], false)
touch()
return {'ok', t.number, version}
