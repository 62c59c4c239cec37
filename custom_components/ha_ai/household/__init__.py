"""The household on the Home Assistant side: its routines followed live, its state."""
