-- Issue 14: an area is counted once; an agreement refers to its control areas. One area may be the control
-- of several agreements (Ersboda for Ålidhem and Teg), or one agreement's area and another's control.
-- Before, a control area carried the id of the one agreement it served (areas.agreement_id), so a second
-- agreement naming it took it from the first.
CREATE TABLE agreement_control_areas (
    agreement_id text NOT NULL REFERENCES agreements ON DELETE CASCADE,
    area_id      text NOT NULL REFERENCES areas ON DELETE CASCADE,
    PRIMARY KEY (agreement_id, area_id),
    CHECK (area_id <> agreement_id)  -- an agreement as its own control compares the area with itself
);
CREATE INDEX agreement_control_areas_area ON agreement_control_areas (area_id);

INSERT INTO agreement_control_areas (agreement_id, area_id)
SELECT agreement_id, area_id FROM areas WHERE kind = 'control' AND agreement_id IS NOT NULL;
UPDATE areas SET agreement_id = NULL WHERE kind = 'control';
ALTER TABLE areas ADD CONSTRAINT areas_control_of_no_one CHECK (kind <> 'control' OR agreement_id IS NULL);

GRANT SELECT, INSERT, UPDATE, DELETE ON agreement_control_areas TO trygg_writer;
GRANT SELECT ON agreement_control_areas TO trygg_reader;
