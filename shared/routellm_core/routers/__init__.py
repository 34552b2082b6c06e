"""Router kinds. Importing this package registers every kind for checkpoint loading."""

from .baselines import LengthRouter, RandomRouter

__all__ = ["LengthRouter", "RandomRouter"]
