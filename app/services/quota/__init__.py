"""Spend caps (SPEC §4): pricing and estimates, the rolling window, standing, admission, settlement, refusals."""
