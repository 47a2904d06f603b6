-- Perceived safety (trygghet, issue 12): survey waves and pulse answers, stored as aggregates only, and the one
-- estimator of "do people feel safer since we signed?" that boards, `trygg effect` and `trygg report` call.
-- Plain tables and SQL functions: the same on plain PostgreSQL and on TimescaleDB.

-- The question registry, synced from schemas.survey.QUESTIONS by every `trygg migrate` (the code is its one
-- source). answers: the codes in order; safe_answers: the codes that count as "feeling safe".
CREATE TABLE survey_questions (
    question_id  text PRIMARY KEY,
    text_sv      text NOT NULL,
    text_en      text NOT NULL,
    direction    text NOT NULL CHECK (direction IN ('higher_is_safer', 'higher_is_less_safe')),
    answers      smallint[] NOT NULL,
    safe_answers smallint[] NOT NULL,
    position     integer NOT NULL
);

-- One row per area and wave: the version stored (a newer import replaces it, an older one is ignored).
CREATE TABLE survey_waves (
    area_id       text NOT NULL,
    wave          text NOT NULL,
    fielded_from  date NOT NULL,
    fielded_until date NOT NULL CHECK (fielded_until >= fielded_from),
    imported_at   timestamptz NOT NULL,
    event_id      uuid NOT NULL,
    stored_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (area_id, wave)
);

-- Respondents per answer: never a row per respondent (microdata is aggregated on import).
CREATE TABLE survey_results (
    area_id     text NOT NULL,
    wave        text NOT NULL,
    question_id text NOT NULL REFERENCES survey_questions,
    answer      smallint NOT NULL,
    respondents integer NOT NULL CHECK (respondents >= 0),
    PRIMARY KEY (area_id, wave, question_id, answer),
    FOREIGN KEY (area_id, wave) REFERENCES survey_waves ON DELETE CASCADE
);

-- The partner form's pulse question: taps per site, Stockholm day and answer. Nothing else, no free text.
CREATE TABLE pulse_counts (
    site_id text NOT NULL,
    day     date NOT NULL,
    answer  smallint NOT NULL CHECK (answer BETWEEN 1 AND 5),
    answers integer NOT NULL CHECK (answers >= 0),
    PRIMARY KEY (site_id, day, answer)
);

-- Set by `trygg migrate` from SURVEY_MIN_RESPONDENTS / SURVEY_SUPPRESS_BELOW.
CREATE TABLE survey_thresholds (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    min_respondents integer NOT NULL CHECK (min_respondents >= 1),
    suppress_below  integer NOT NULL CHECK (suppress_below >= 1)
);
INSERT INTO survey_thresholds VALUES (true, 100, 30);

-- Which topic an outbox row goes to: the relay publishes 'surveys' rows to surveys.reported.
ALTER TABLE outbox ADD COLUMN stream text NOT NULL DEFAULT 'incidents' CHECK (stream IN ('incidents', 'surveys'));
-- Dead letters of both input topics share the health board; the stream tells their offsets apart.
ALTER TABLE rejected_events ADD COLUMN stream text NOT NULL DEFAULT 'incidents';
ALTER TABLE rejected_events DROP CONSTRAINT rejected_events_pkey;
ALTER TABLE rejected_events ADD PRIMARY KEY (stream, source_partition, source_offset, payload_sha256);

GRANT SELECT, INSERT, UPDATE, DELETE ON survey_questions, survey_waves, survey_results, pulse_counts,
                                        survey_thresholds TO trygg_writer;
GRANT SELECT ON survey_questions TO trygg_reader;

-- Per scope (the agreement area; its control areas pooled), question and window: respondents and the
-- respondent-weighted share feeling safe and mean score (1 = least safe .. number of options = safest). A
-- wave belongs to a window when its whole fielding period lies inside it.
CREATE FUNCTION survey_window_stats(p_agreement_id text, p_question_id text, p_before_days int, p_after_days int,
                                    p_gap_days int, p_until date)
RETURNS TABLE (scope text, question_id text, period text, n bigint, share double precision,
               mean double precision, mean_sq double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
WITH w AS (
    SELECT * FROM effect_windows(p_agreement_id, p_before_days, p_after_days, p_gap_days, p_until)
),
scope_areas AS (
    SELECT 'agreement' AS scope, p_agreement_id AS area_id
    UNION ALL
    SELECT 'control', ar.area_id FROM areas ar WHERE ar.kind = 'control' AND ar.agreement_id = p_agreement_id
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
CREATE FUNCTION survey_estimates(p_agreement_id text, p_question_id text DEFAULT NULL, p_before_days int DEFAULT 365,
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

-- Every wave of one question for the agreement area and its control areas (pooled per wave id): respondents,
-- share feeling safe with its 95 % (Wald) interval, and the mean score. Waves with fewer respondents than
-- suppress_below show no share or mean; respondents of 1-2 are not shown either.
CREATE FUNCTION survey_wave_shares(p_agreement_id text, p_question_id text)
RETURNS TABLE (area_scope text, wave text, fielded_from date, fielded_until date, respondents bigint,
               share double precision, ci_low double precision, ci_high double precision,
               mean_score double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $$
WITH scope_areas AS (
    SELECT 'agreement' AS scope, p_agreement_id AS area_id
    UNION ALL
    SELECT 'control', ar.area_id FROM areas ar WHERE ar.kind = 'control' AND ar.agreement_id = p_agreement_id
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

-- Pulse answers of an agreement's sites per Stockholm month: taps, share answering 4-5 ("trygg") and mean
-- answer. Months with fewer taps than suppress_below show no share or mean; tap counts of 1-2 are hidden.
CREATE FUNCTION pulse_monthly(p_agreement_id text, p_from date, p_to date)
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
