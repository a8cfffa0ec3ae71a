"""Secrets: minting and digests, encryption at rest, machines and their proxy tokens, per-user tokens."""
