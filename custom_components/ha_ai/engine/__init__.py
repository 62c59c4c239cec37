"""HA AI's domain logic: pure Python that never imports Home Assistant.

Everything here takes plain data and returns plain data, so it can be unit-tested
and run offline without a Home Assistant instance. A test enforces the rule.
"""
