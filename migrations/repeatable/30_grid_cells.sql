-- Repeatable: the current definition of grid_row, grid_step_lon (last changed in 0011_board_aggregates.sql).
-- Edit it here, never in a new migration: trygg migrate re-applies this file whenever it changes.

-- Grid cells of about 250 m (as incident_grid always drew them): the latitude step is 250 / 111320 degrees,
-- the longitude step that divided by the cosine of the cell row's middle latitude.
CREATE OR REPLACE FUNCTION grid_row(p_lat double precision) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT floor(p_lat / (250 / 111320.0))::integer
$$;

CREATE OR REPLACE FUNCTION grid_step_lon(p_row integer) RETURNS double precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 250 / (111320.0 * cos(radians((p_row + 0.5) * 250 / 111320.0)))
$$;
