"""Sports moments on Home Assistant's side, from TeamTracker sensors."""
