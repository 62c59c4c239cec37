"""Analyze exported data offline with HA AI's engine, without Home Assistant.

Usage:
  scripts/analyze --history FILE [--history FILE ...] [--automations FILE]
                  [--timezone TZ] [--all-domains] [--devices FILE] [--json]

--history reads state changes and mines them for habits with the same engine as
the integration: routines at a time of day, and things used together. Two formats
are read, told apart by their content (or, failing that, the file's extension):
the CSV that Home Assistant's History panel downloads (header
`entity_id,state,last_changed`, times in UTC), and JSON Lines, one object per line
with `entity_id`, `state`, `last_changed` and optionally `context_parent_id` and
`context_user_id`. Rows without a parent context count as changes made by hand;
the first row of each entity, and changes from or to unavailable/unknown, as the
system's. Bad rows are counted and reported, never fatal. As in the integration,
only the domains it logs are mined (lights, switches, covers, binary sensors,
people...); --all-domains mines every one. Times in the report are local to
--timezone (default UTC).

--automations reads an `automations.yaml`, so that patterns an automation already
covers (one whose `time` trigger, within the routine's window, sets the entity
to the routine's state; one triggered by the pair's first entity going to its
state that sets the second to its state) are marked as automated.

--devices reads a Zigbee2MQTT `bridge/devices` dump (the retained payload of
`zigbee2mqtt/bridge/devices`, for example saved with
`mosquitto_sub -t zigbee2mqtt/bridge/devices -C 1 > devices.json`). The report lists
the devices and the capabilities they expose.

`-` reads an input from standard input (once). The report is text for people, or
with --json one JSON object. A missing, unreadable or unrecognizable input exits
with status 2.

Only the engine is imported, never Home Assistant: `python -m scripts.analyzer`
(what `scripts/analyze` runs) loads `custom_components.ha_ai.engine` without the
integration's `__init__` (see `scripts/engine_alone.py`). One job per module:
`inputs` (reading a file), `history_files` (a CSV or JSON Lines file, row by
row), `history_rows` (what was read), `history` (the table of changes),
`automations`, `devices`, `habits` (mining and its report), `text` (text for
people) and `command_line`.
"""
