-- Repeatable: the current definition of effect_windows (last changed in 0006_effect.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- The before and after windows around signing, as half-open Europe/Stockholm day ranges. Both end no later
-- than p_until (exclusive; default today, whose day is not over); a window that lies wholly after p_until
-- is empty (end = start).
CREATE OR REPLACE FUNCTION effect_windows(p_agreement_id text, p_before_days int, p_after_days int, p_gap_days int,
                               p_until date)
RETURNS TABLE (before_start date, before_end date, after_start date, after_end date)
LANGUAGE sql STABLE AS $$
    SELECT bs, greatest(bs, least(be, u)), ast, greatest(ast, least(ae, u))
    FROM (
        SELECT a.signed_at - p_gap_days - p_before_days AS bs, a.signed_at - p_gap_days AS be,
               a.signed_at + p_gap_days AS ast, a.signed_at + p_gap_days + p_after_days AS ae,
               coalesce(p_until, (now() AT TIME ZONE 'Europe/Stockholm')::date) AS u
        FROM agreements a WHERE a.agreement_id = p_agreement_id
    ) w
$$;
GRANT EXECUTE ON FUNCTION effect_windows(text, int, int, int, date) TO trygg_reader;
