-- The few SQLite functions core's statements use that PostgreSQL lacks, with
-- SQLite's meaning, so that each statement is one text for both databases.

-- BLOB, SQLite's name for bytes: `CAST($3 AS BLOB)` types a parameter that
-- nothing else types (a NULL in VALUES) the same on both.
CREATE DOMAIN blob AS BYTEA;

-- printf('ORD-%06d', n): a number, zero-padded to a width, between a prefix and a
-- suffix. The only form core writes; any other is refused, not guessed at.
CREATE FUNCTION printf(fmt TEXT, n BIGINT) RETURNS TEXT
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    part TEXT[] := regexp_match(fmt, '^([^%]*)%(0?)([0-9]*)d([^%]*)$');
    digits TEXT := coalesce(n, 0)::TEXT;
BEGIN
    IF part IS NULL THEN
        RAISE EXCEPTION 'printf: the format % is not one core writes (text, %%0Nd, text)', fmt;
    END IF;
    IF part[3] <> '' AND length(digits) < part[3]::INT THEN
        digits := lpad(digits, part[3]::INT, CASE WHEN part[2] = '0' THEN '0' ELSE ' ' END);
    END IF;
    RETURN part[1] || digits || part[4];
END
$$;

-- instr(haystack, needle): where needle first starts (from 1), 0 when absent.
CREATE FUNCTION instr(haystack TEXT, needle TEXT) RETURNS BIGINT
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN strpos(haystack, needle);

-- date(time, '+330 minutes', 'weekday 0', '-6 days'): the calendar day of an
-- RFC 3339 time, moved by each modifier in turn, as YYYY-MM-DD. The modifiers core
-- writes: '±N minutes|hours|days', and 'weekday N' (forward to the next day N,
-- 0 Sunday, staying on a day that already is).
CREATE FUNCTION date(at TEXT, VARIADIC modifiers TEXT[]) RETURNS TEXT
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    t TIMESTAMP := at::TIMESTAMPTZ AT TIME ZONE 'UTC';
    m TEXT;
    weekday INT;
BEGIN
    FOREACH m IN ARRAY modifiers LOOP
        IF m ~ '^\s*[+-]?[0-9]+ (minute|hour|day)s?\s*$' THEN
            t := t + m::INTERVAL;
        ELSIF m ~ '^weekday [0-6]$' THEN
            weekday := substr(m, 9)::INT;
            t := t + make_interval(days => (weekday - extract(dow FROM t)::INT + 7) % 7);
        ELSE
            RAISE EXCEPTION 'date: the modifier % is not one core writes', m;
        END IF;
    END LOOP;
    RETURN to_char(t, 'YYYY-MM-DD');
END
$$;
