"""AI cameras on Home Assistant's side.

The classifier's MQTT events and the camera entities; the parsing lives in
`engine/cameras`.
"""
