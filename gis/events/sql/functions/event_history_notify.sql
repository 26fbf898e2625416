-- One notification per transition on channel onemap_events, sent when the transaction
-- commits (NOTIFY is transactional), for the live feed to LISTEN to. No personal data
-- and no notes, nothing of categories the public may not see: the payload is public
-- summaries (event_feed_summary.sql); the listener
-- reads more by history_id. A bulk load may SET LOCAL onemap.notify = 'off' to stay quiet.
--
-- One notification per statement instead of one per history row (intake appends three
-- rows at once; every server process's listener reads every notification). The payload
-- is a JSON array of public summaries, at most 15 of them, which keeps it under NOTIFY's
-- 8000-byte limit; a statement appending more sends several.
CREATE OR REPLACE FUNCTION event_history_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('onemap.notify', true) IS DISTINCT FROM 'off' THEN
        PERFORM pg_notify('onemap_events', batch.summaries::text)
        FROM (
            SELECT json_agg(numbered.summary ORDER BY numbered.history_id) AS summaries
            FROM (
                SELECT added.history_id, event_feed_summary(added, e) AS summary,
                       (row_number() OVER (ORDER BY added.history_id) - 1) / 15 AS part
                FROM added JOIN events AS e ON e.event_id = added.event_id
                WHERE event_public(e.category_code, e.hidden_at)
            ) AS numbered
            GROUP BY numbered.part
            ORDER BY numbered.part
        ) AS batch;
    END IF;
    RETURN NULL;
END
$$;
CREATE OR REPLACE TRIGGER event_history_notify AFTER INSERT ON event_history
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION event_history_notify();
