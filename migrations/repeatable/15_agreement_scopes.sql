-- Repeatable: which areas an agreement is judged by, one row per (agreement, scope, area): its own area
-- ('agreement') and the areas it compares with ('control', shared or not). Every estimate, board and report
-- that pools "the agreement's control areas" reads them here.
CREATE OR REPLACE VIEW agreement_scopes AS
SELECT a.agreement_id, 'agreement'::text AS scope, a.agreement_id AS area_id FROM agreements a
UNION ALL
SELECT c.agreement_id, 'control'::text, c.area_id FROM agreement_control_areas c;
GRANT SELECT ON agreement_scopes TO trygg_reader, trygg_writer;
