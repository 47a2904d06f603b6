-- Repeatable: the current definition of survey_window_stats (first in 0013_perceived_safety.sql; its control areas from agreement_scopes since 0015).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Per scope (the agreement area; its control areas pooled), question and window: respondents and the
-- respondent-weighted share feeling safe and mean score (1 = least safe .. number of options = safest). A
-- wave belongs to a window when its whole fielding period lies inside it.
CREATE OR REPLACE FUNCTION survey_window_stats(p_agreement_id text, p_question_id text, p_before_days int, p_after_days int,
                                    p_gap_days int, p_until date)
RETURNS TABLE (scope text, question_id text, period text, n bigint, share double precision,
               mean double precision, mean_sq double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
WITH w AS (
    SELECT * FROM effect_windows(p_agreement_id, p_before_days, p_after_days, p_gap_days, p_until)
),
scope_areas AS (
    SELECT s.scope, s.area_id FROM agreement_scopes s WHERE s.agreement_id = p_agreement_id
),
waves AS (
    SELECT sa.scope, sv.area_id, sv.wave,
           CASE WHEN sv.fielded_from >= w.before_start AND sv.fielded_until < w.before_end THEN 'before'
                WHEN sv.fielded_from >= w.after_start AND sv.fielded_until < w.after_end THEN 'after' END AS period
    FROM survey_waves sv JOIN scope_areas sa ON sa.area_id = sv.area_id CROSS JOIN w
),
scored AS (
    SELECT wv.scope, r.question_id, wv.period, r.respondents AS n,
           r.answer = ANY (q.safe_answers) AS safe,
           CASE q.direction WHEN 'higher_is_safer' THEN array_position(q.answers, r.answer)
                ELSE cardinality(q.answers) + 1 - array_position(q.answers, r.answer) END::double precision AS score
    FROM survey_results r
    JOIN waves wv ON wv.area_id = r.area_id AND wv.wave = r.wave
    JOIN survey_questions q ON q.question_id = r.question_id
    WHERE wv.period IS NOT NULL AND (p_question_id IS NULL OR r.question_id = p_question_id)
)
SELECT s.scope, s.question_id, s.period, sum(s.n)::bigint,
       sum(s.n) FILTER (WHERE s.safe)::double precision / nullif(sum(s.n), 0),
       sum(s.n * s.score) / nullif(sum(s.n), 0),
       sum(s.n * s.score ^ 2) / nullif(sum(s.n), 0)
FROM scored s GROUP BY s.scope, s.question_id, s.period
$$;
REVOKE ALL ON FUNCTION survey_window_stats(text, text, int, int, int, date) FROM PUBLIC;
