"""Suggestions on Home Assistant's side: their store, lifecycle and actions."""
