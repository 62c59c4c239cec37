"""HA AI's MQTT bus.

Publishes under `ha-ai/` through Home Assistant's `mqtt` integration; the
envelope and topics live in `engine/envelope.py` and `engine/topics.py`.
"""
