"""Storage: the engine, the tables, and one module of async functions per table.

Storage functions take an ``AsyncSession`` first and never commit: the route or job that opened
the session (``async with sessions.begin()``) owns the transaction.
"""
