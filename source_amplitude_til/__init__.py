"""Airbyte source for Amplitude Analytics."""

from source_amplitude_til.source import SourceAmplitudeTil

__all__ = ["SourceAmplitudeTil"]
