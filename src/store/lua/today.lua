-- The queue's current business day (the prelude turns it when its date came). Answers the day.
return {'ok', DAY}
