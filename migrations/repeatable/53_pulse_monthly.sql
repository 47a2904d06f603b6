-- Repeatable: the current definition of pulse_monthly (last changed in 0013_perceived_safety.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Pulse answers of an agreement's sites per Stockholm month: taps, share answering 4-5 ("trygg") and mean
-- answer. Months with fewer taps than suppress_below show no share or mean; tap counts of 1-2 are hidden.
CREATE OR REPLACE FUNCTION pulse_monthly(p_agreement_id text, p_from date, p_to date)
RETURNS TABLE (month date, answers bigint, share_safe double precision, mean_answer double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
WITH monthly AS (
    SELECT date_trunc('month', pc.day)::date AS month, sum(pc.answers) AS n,
           sum(pc.answers) FILTER (WHERE pc.answer >= 4)::double precision / nullif(sum(pc.answers), 0) AS p,
           sum(pc.answers * pc.answer)::double precision / nullif(sum(pc.answers), 0) AS m
    FROM pulse_counts pc JOIN sites s ON s.site_id = pc.site_id
    WHERE s.agreement_id = p_agreement_id AND pc.day >= p_from AND pc.day < p_to
    GROUP BY 1
)
SELECT mo.month, CASE WHEN mo.n BETWEEN 1 AND 2 THEN NULL ELSE mo.n END::bigint,
       CASE WHEN mo.n >= t.suppress_below THEN mo.p END, CASE WHEN mo.n >= t.suppress_below THEN mo.m END
FROM monthly mo CROSS JOIN survey_thresholds t
ORDER BY mo.month
$$;
REVOKE ALL ON FUNCTION pulse_monthly(text, date, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pulse_monthly(text, date, date) TO trygg_reader, trygg_writer;
