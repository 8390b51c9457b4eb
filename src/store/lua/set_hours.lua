-- Staff set the queue's opening hours (local minutes of the day; '' and '': none) and its daily
-- limit (受付上限; 0: none besides MAX_TICKETS_PER_DAY). Own ARGV: OPENS, CLOSES, LIMIT
if OPENS == '' then
  redis.call('HDEL', RULES, 'opens', 'closes')
else
  redis.call('HSET', RULES, 'opens', OPENS, 'closes', CLOSES)
end
redis.call('HSET', RULES, 'limit', LIMIT)
return {'ok'}
