"""The domain: plain functions that never touch request, g or session."""
