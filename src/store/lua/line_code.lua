-- The one-time code that links a waiting ticket to a LINE user (line_link.lua): the ticket's code
-- if it has one, else CODE (a new random one) becomes it. Day-scoped in LINE, single use.
-- Own ARGV: NUMBER, CODE. Answers the code, or '' when the ticket follows on LINE already.
local t = read_ticket(NUMBER)
if not t then return {'not_found'} end
if t.state ~= 'waiting' then return {'conflict', t.state} end
if t.line then return {'ok', ''} end
local code = redis.call('HGET', LINE, 'code_of:' .. NUMBER)
if not code then
  code = CODE
  redis.call('HSET', LINE, 'code:' .. code, NUMBER, 'code_of:' .. NUMBER, code)
  expire_day()
end
return {'ok', code}
