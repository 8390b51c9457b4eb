-- Starts a new business day. Own ARGV: MODE ('force': staff start one now; '': the clock's day,
-- which the prelude has already turned to if its date came). A day the prelude has just started
-- is already new: a staff reset then starts no second one. Answers 'ok' when a day started.
if MODE ~= 'force' or TURNED then
  return {TURNED and 'ok' or 'same', DAY}
end
local count = tonumber(string.match(DAY, '%.(%d+)$') or '1')
turn_to(string.sub(DAY, 1, 10) .. '.' .. (count + 1))
return {'ok', DAY}
