"""The stream processor: incidents.reported -> validated, placed, counted in the database."""
