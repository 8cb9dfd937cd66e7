"""Property-based tests that throw mutated requests at every endpoint of a live pod.

Every response must be below 500, and nothing stored may change unless the request was entitled
to change it. See `test_no_5xx.py` for how to run them.
"""
