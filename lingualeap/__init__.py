"""LinguaLeap: a real-time multiplayer word-battle server for language learners, on Twisted."""

__version__ = "0.1.0"
