"""Background upkeep in every worker: its heartbeat lease, delayed ledger writes, the ledger sweeper."""
