-- Every transition, with who, in which role, when and why, is kept: the history refuses
-- UPDATE and DELETE, whoever asks.
CREATE OR REPLACE FUNCTION event_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event_history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE OR REPLACE TRIGGER event_history_append_only BEFORE UPDATE OR DELETE ON event_history
    FOR EACH ROW EXECUTE FUNCTION event_history_append_only();
