-- Repeatable: the current definition of survey_wave_shares (first in 0013_perceived_safety.sql; its control areas from agreement_scopes since 0015).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Every wave of one question for the agreement area and its control areas (pooled per wave id): respondents,
-- share feeling safe with its 95 % (Wald) interval, and the mean score. Waves with fewer respondents than
-- suppress_below show no share or mean; respondents of 1-2 are not shown either.
CREATE OR REPLACE FUNCTION survey_wave_shares(p_agreement_id text, p_question_id text)
RETURNS TABLE (area_scope text, wave text, fielded_from date, fielded_until date, respondents bigint,
               share double precision, ci_low double precision, ci_high double precision,
               mean_score double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
WITH scope_areas AS (
    SELECT s.scope, s.area_id FROM agreement_scopes s WHERE s.agreement_id = p_agreement_id
),
per_wave AS (
    SELECT sa.scope, sv.wave, min(sv.fielded_from) AS fielded_from, max(sv.fielded_until) AS fielded_until,
           sum(r.respondents) AS n,
           sum(r.respondents) FILTER (WHERE r.answer = ANY (q.safe_answers))::double precision
               / nullif(sum(r.respondents), 0) AS p,
           sum(r.respondents * CASE q.direction WHEN 'higher_is_safer' THEN array_position(q.answers, r.answer)
                   ELSE cardinality(q.answers) + 1 - array_position(q.answers, r.answer) END)::double precision
               / nullif(sum(r.respondents), 0) AS m
    FROM survey_waves sv
    JOIN scope_areas sa ON sa.area_id = sv.area_id
    JOIN survey_results r ON r.area_id = sv.area_id AND r.wave = sv.wave AND r.question_id = p_question_id
    JOIN survey_questions q ON q.question_id = r.question_id
    GROUP BY sa.scope, sv.wave
)
SELECT pw.scope, pw.wave, pw.fielded_from, pw.fielded_until,
       CASE WHEN pw.n BETWEEN 1 AND 2 THEN NULL ELSE pw.n END::bigint,
       CASE WHEN shown THEN pw.p END,
       CASE WHEN shown THEN greatest(0, pw.p - 1.959963984540054 * sqrt(pw.p * (1 - pw.p) / pw.n)) END,
       CASE WHEN shown THEN least(1, pw.p + 1.959963984540054 * sqrt(pw.p * (1 - pw.p) / pw.n)) END,
       CASE WHEN shown THEN pw.m END
FROM per_wave pw CROSS JOIN LATERAL (SELECT pw.n >= t.suppress_below AS shown FROM survey_thresholds t) s
ORDER BY pw.fielded_from, pw.scope
$$;
REVOKE ALL ON FUNCTION survey_wave_shares(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION survey_wave_shares(text, text) TO trygg_reader, trygg_writer;
