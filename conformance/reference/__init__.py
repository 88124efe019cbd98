"""The behaviour catalog run through CPython's socket module (python_reference, one module per group)
and compared with socklab's run (differential)."""
