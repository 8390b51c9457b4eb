-- Staff change how many places ahead a verified phone is called (0: never); tickets now within
-- the new reach get their call at once. Own ARGV: PLACES
redis.call('SET', AUTODIAL_SET, PLACES)
AUTODIAL = tonumber(PLACES)
autodial_due()
expire_day()
return {'ok'}
