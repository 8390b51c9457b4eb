-- Staff set what happens to late arrivals: how many places 「後ろに回す」 moves a called ticket
-- back, and after how many minutes a called ticket becomes a no-show by itself (0: never).
-- Own ARGV: PLACES, NO_SHOW_AFTER
redis.call('HSET', RULES, 'places', PLACES, 'no_show_after', NO_SHOW_AFTER)
return {'ok'}
