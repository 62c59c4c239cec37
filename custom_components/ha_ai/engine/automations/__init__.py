"""Automations HA AI proposes: rendered from patterns, checked by safety rules."""
