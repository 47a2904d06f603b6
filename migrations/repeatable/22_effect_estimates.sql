-- Repeatable: the current definition of effect_estimates (last changed in 0011_board_aggregates.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

CREATE OR REPLACE FUNCTION effect_estimates(p_agreement_id text, p_source text DEFAULT NULL, p_before_days int DEFAULT 365,
                                 p_after_days int DEFAULT 365, p_gap_days int DEFAULT 0, p_until date DEFAULT NULL)
RETURNS SETOF effect_estimate
LANGUAGE sql STABLE SECURITY INVOKER AS $$
    SELECT * FROM effect_estimates_many(ARRAY[p_agreement_id], p_source, p_before_days, p_after_days, p_gap_days,
                                        p_until)
$$;
GRANT EXECUTE ON FUNCTION effect_estimates(text, text, int, int, int, date) TO trygg_reader;
