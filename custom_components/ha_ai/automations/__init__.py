"""HA AI's automations on Home Assistant's side.

Checks before a deploy, the deploys themselves, signed remote commands, and who
changed what; the rules live in `engine/automations`.
"""
