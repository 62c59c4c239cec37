"""Tests of the suggestions of the engine, without Home Assistant."""
