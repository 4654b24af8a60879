"""Pure domain logic: extraction, identity, projection, alert rules, clock.

Nothing here imports faust, aiokafka or does I/O, so every decision is a deterministic function of
the events seen so far (tests/unit/test_domain_purity.py walks the imports to keep it so).
"""
