"""The domain: plain functions that never touch request, g or session, grouped by domain.

errors, money, timestamps and reports sit here; everything else lives in one subpackage per
domain (db, upstream, upkeep, credentials, accounts, pool, claude, openai, quota, skills).
"""
