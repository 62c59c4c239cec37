"""Automations HA AI proposes or receives: rendered, checked, commanded remotely."""
