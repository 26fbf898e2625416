-- New tracking numbers: SJ + the report's date in China + the event id, which no other
-- event has (the demo's SJ numbers count up to the number of demo events).
CREATE OR REPLACE FUNCTION event_tracking_number(event_id bigint, reported_at timestamptz)
RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 'SJ' || to_char(reported_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')
           -- at least 6 digits; lpad alone would cut ids from 1,000,000 on and collide
           || lpad(event_id::text, greatest(6, length(event_id::text)), '0')
$$;
