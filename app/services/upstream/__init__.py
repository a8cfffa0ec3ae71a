"""HTTP to upstream servers: one Session per process, body readers, SSE event splitting."""
