-- A webhook event LINE posted: recorded (before the webhook is answered) unless its id was seen
-- before (a redelivery). KEYS: SEEN, INBOX. ARGV: ID, EVENT (JSON), KEEP_S.
-- Answers 1 for a new event, 0 for one seen before.
if not redis.call('SET', SEEN, '1', 'NX', 'EX', KEEP_S) then return 0 end
redis.call('HSET', INBOX, ID, EVENT)
redis.call('EXPIRE', INBOX, KEEP_S)
return 1
