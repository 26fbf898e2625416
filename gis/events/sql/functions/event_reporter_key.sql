-- The reporter key of an event: the secret its reporter holds to rate the result (and,
-- over the database's row-level security, to act on that event alone). Derived, never
-- stored: an HMAC-SHA-256 of the event's id under the server's secret (ONEMAP_SECRET_KEY,
-- passed in) or, where none is set, this instance's own (instance_secrets). The event
-- keeps only the SHA-256 of the key; a replayed answer derives the key again.
CREATE OR REPLACE FUNCTION event_reporter_key(event_id bigint, secret bytea) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT 'rk_' || rtrim(translate(encode(hmac(
        convert_to('onemap reporter key ' || event_id, 'UTF8'),
        coalesce(secret, (SELECT s.secret FROM instance_secrets AS s
                          WHERE s.name = 'reporter_key')),
        'sha256'), 'base64'), '+/', '-_'), '=')
$$;
