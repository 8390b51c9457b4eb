-- Pause or resume intake. ARGV: 5 open | remote_paused | paused
if (redis.call('GET', INTAKE) or 'open') == ARGV[5] then return {'ok', tonumber(redis.call('GET', VERSION) or 0)} end
redis.call('SET', INTAKE, ARGV[5])
return {'ok', publish({change = 'intake', intake = ARGV[5]})}
