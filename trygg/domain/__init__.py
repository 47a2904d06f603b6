"""The domain: validation, placement, buckets and aggregation. Plain functions, no I/O."""
