-- Repeatable: the current definition of survey_estimates (last changed in 0013_perceived_safety.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Before/after change in the share feeling safe (percentage points) and in the mean score, per question and
-- scope: 'agreement', 'control' (pooled) and 'relative' (agreement change minus control change: difference in
-- differences). Method: difference of two independent means of respondents' answers (a share is the mean of
-- a 0/1 answer), Var = s2_before / n_before + s2_after / n_after with s2 the population variance of the
-- window's answers (for a share p (1 - p)); the relative change adds the two scopes' variances; 95 % CI =
-- change +- 1.959964 sqrt(Var). That is an OLS of answer on window (and area, interaction) with HC0 standard
-- errors, which the tests compare with statsmodels. Windows as effect_estimates (a wave counts when its whole
-- fielding period lies inside). 'too_few' (and no change) when either window has fewer than the minimum of
-- respondents; shares and means of a window with fewer than suppress_below respondents are not returned.
-- Questions listed: those with a wave of the agreement or its control areas in either window.
CREATE OR REPLACE FUNCTION survey_estimates(p_agreement_id text, p_question_id text DEFAULT NULL, p_before_days int DEFAULT 365,
                                 p_after_days int DEFAULT 365, p_gap_days int DEFAULT 0, p_until date DEFAULT NULL,
                                 p_min_respondents int DEFAULT NULL)
RETURNS TABLE (
    agreement_id text, question_id text, area_scope text,
    before_start date, before_end date, after_start date, after_end date,
    before_respondents bigint, after_respondents bigint,
    before_share double precision, after_share double precision,
    share_change double precision, share_ci_low double precision, share_ci_high double precision,
    before_mean double precision, after_mean double precision,
    mean_change double precision, mean_ci_low double precision, mean_ci_high double precision,
    verdict text
)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
WITH w AS (
    SELECT * FROM effect_windows(p_agreement_id, p_before_days, p_after_days, p_gap_days, p_until)
),
th AS (
    SELECT greatest(coalesce(p_min_respondents, t.min_respondents), t.suppress_below) AS min_n, t.suppress_below
    FROM survey_thresholds t
),
stats AS (
    SELECT * FROM survey_window_stats(p_agreement_id, p_question_id, p_before_days, p_after_days, p_gap_days,
                                      p_until)
),
questions AS (
    SELECT q.question_id, q.position FROM survey_questions q
    WHERE q.question_id IN (SELECT s.question_id FROM stats s)
),
est AS (
    SELECT sc.scope, qu.question_id, qu.position,
           coalesce(b.n, 0) AS nb, coalesce(a.n, 0) AS na, b.share AS pb, a.share AS pa, b.mean AS mb, a.mean AS ma,
           b.share * (1 - b.share) / b.n + a.share * (1 - a.share) / a.n AS var_p,
           greatest(b.mean_sq - b.mean ^ 2, 0) / b.n + greatest(a.mean_sq - a.mean ^ 2, 0) / a.n AS var_m,
           (coalesce(b.n, 0) < th.min_n OR coalesce(a.n, 0) < th.min_n) AS too_few,
           coalesce(b.n, 0) >= th.suppress_below AS show_b, coalesce(a.n, 0) >= th.suppress_below AS show_a
    FROM (VALUES ('agreement'), ('control')) sc (scope)
    CROSS JOIN questions qu CROSS JOIN th
    LEFT JOIN stats b ON b.scope = sc.scope AND b.question_id = qu.question_id AND b.period = 'before'
    LEFT JOIN stats a ON a.scope = sc.scope AND a.question_id = qu.question_id AND a.period = 'after'
),
out_rows AS (
    SELECT e.question_id, e.position, e.scope, e.nb, e.na,
           CASE WHEN e.show_b THEN e.pb END AS pb, CASE WHEN e.show_a THEN e.pa END AS pa,
           CASE WHEN e.show_b THEN e.mb END AS mb, CASE WHEN e.show_a THEN e.ma END AS ma,
           CASE WHEN NOT e.too_few THEN e.pa - e.pb END AS dp, CASE WHEN NOT e.too_few THEN e.var_p END AS var_p,
           CASE WHEN NOT e.too_few THEN e.ma - e.mb END AS dm, CASE WHEN NOT e.too_few THEN e.var_m END AS var_m,
           e.too_few
    FROM est e
    UNION ALL
    SELECT ag.question_id, ag.position, 'relative', NULL, NULL, NULL, NULL, NULL, NULL,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN (ag.pa - ag.pb) - (co.pa - co.pb) END,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN ag.var_p + co.var_p END,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN (ag.ma - ag.mb) - (co.ma - co.mb) END,
           CASE WHEN NOT (ag.too_few OR co.too_few) THEN ag.var_m + co.var_m END,
           ag.too_few OR co.too_few
    FROM est ag JOIN est co ON co.question_id = ag.question_id AND co.scope = 'control'
    WHERE ag.scope = 'agreement'
)
SELECT p_agreement_id, r.question_id, r.scope, w.before_start, w.before_end, w.after_start, w.after_end,
       r.nb, r.na, r.pb, r.pa,
       r.dp, r.dp - 1.959963984540054 * sqrt(r.var_p), r.dp + 1.959963984540054 * sqrt(r.var_p),
       r.mb, r.ma,
       r.dm, r.dm - 1.959963984540054 * sqrt(r.var_m), r.dm + 1.959963984540054 * sqrt(r.var_m),
       CASE WHEN r.too_few THEN 'too_few'
            WHEN r.dp - 1.959963984540054 * sqrt(r.var_p) > 0 THEN 'clear_increase'
            WHEN r.dp + 1.959963984540054 * sqrt(r.var_p) < 0 THEN 'clear_decrease'
            ELSE 'no_clear_change' END
FROM out_rows r CROSS JOIN w
ORDER BY r.position, CASE r.scope WHEN 'agreement' THEN 1 WHEN 'control' THEN 2 ELSE 3 END
$$;
REVOKE ALL ON FUNCTION survey_estimates(text, text, int, int, int, date, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION survey_estimates(text, text, int, int, int, date, int) TO trygg_reader, trygg_writer;
