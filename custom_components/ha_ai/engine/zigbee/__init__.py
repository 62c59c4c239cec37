"""Zigbee2MQTT device intelligence: devices, their capabilities, and what is unused."""
