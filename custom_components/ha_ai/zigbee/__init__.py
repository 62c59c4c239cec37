"""The Zigbee2MQTT bridge on Home Assistant's side.

The device list, the capabilities nobody uses, and where devices are; the
logic lives in `engine/zigbee`.
"""
