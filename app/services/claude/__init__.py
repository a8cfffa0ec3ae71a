"""The Anthropic proxy: auth, headers, the relay and its body, metering, list prices, the ledger."""
