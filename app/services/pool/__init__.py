"""The pool of Claude accounts: membership, the active account, OAuth refresh, cached usage, failover."""
