-- What an event shows the public instead of what it holds (every public surface: the
-- events API, Open311, the live feed, OGC API Features). A moderator's redacted text
-- (events.public_description) stands in for the description, masked all the same.
--
-- event_public_point: the centre of the ~50 m cell holding the point. Cells are 50 m of
-- latitude tall and 50 m of longitude wide at their own latitude, so a cell is the same
-- wherever the point is and nothing but the cell can be recovered from it: a reporter's
-- doorstep (or a photo's GPS) becomes "somewhere in this 50 m square".
--
-- event_public_text: mainland mobile numbers (11 digits from 13–19), 18-character
-- resident ID numbers and landline numbers (area code and 7–8 digits) masked, keeping
-- enough digits to tell two numbers apart in a conversation with staff.
-- One expression with no FROM, so that PostgreSQL inlines it into the queries that call it
-- (a tile of thousands of events pays no function call per event); cell_lat is the
-- cell's centre latitude, written out twice where the column's width depends on it.
CREATE OR REPLACE FUNCTION event_public_point(point geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ST_SetSRID(ST_MakePoint(
        (floor(ST_X(point) / (4.4915e-4 / cos(radians((floor(ST_Y(point) / 4.4915e-4) + 0.5)
                                                      * 4.4915e-4)))) + 0.5)
            * (4.4915e-4 / cos(radians((floor(ST_Y(point) / 4.4915e-4) + 0.5) * 4.4915e-4))),
        (floor(ST_Y(point) / 4.4915e-4) + 0.5) * 4.4915e-4),
        ST_SRID(point))
$$;

CREATE OR REPLACE FUNCTION event_public_text(body text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(regexp_replace(regexp_replace(body,
        -- resident ID: 6-digit area, 8-digit birth date, 3-digit serial, check character
        '(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])', '\1********\2', 'g'),
        '(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])', '\1****\2', 'g'),
        '(?<![0-9])(0[0-9]{2,3})-?[0-9]{7,8}(?![0-9])', '\1-********', 'g')
$$;

-- Whether the public may see events of this category (event_categories.public).
CREATE OR REPLACE FUNCTION event_category_public(code text) RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce((SELECT public FROM event_categories WHERE category_code = code), false)
$$;

-- Whether the public may see this event at all: a category the public may see, and not
-- hidden by a moderator (events.hidden_at).
CREATE OR REPLACE FUNCTION event_public(category_code text, hidden_at timestamptz)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT hidden_at IS NULL AND coalesce(event_category_public(category_code), false)
$$;
