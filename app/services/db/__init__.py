"""The database: engine setup, the write lock, plain SQL for the hot path, outages, leases."""
