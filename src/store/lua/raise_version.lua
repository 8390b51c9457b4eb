-- A restore sets a queue's version to the backup's, unless it is higher already: screens ignore
-- a version they have seen, so it never goes down. KEYS: VERSION. ARGV: AT_LEAST. Answers the
-- version now.
local current = tonumber(redis.call('GET', VERSION) or '0') or 0
if AT_LEAST > current then
  redis.call('SET', VERSION, AT_LEAST)
  return AT_LEAST
end
return current
