-- Pause or resume intake. Own ARGV: INTAKE_STATE (open, remote_paused, paused)
if (redis.call('GET', INTAKE) or 'open') == INTAKE_STATE then return {'ok', tonumber(redis.call('GET', VERSION) or 0)} end
redis.call('SET', INTAKE, INTAKE_STATE)
return {'ok', publish({change = 'intake', intake = INTAKE_STATE})}
