"""Adapters over heavy model libraries.

Each module holds a small Protocol and the real implementation behind it, plus a
``load_*`` function. Heavy imports live inside the loaders: importing this package
loads nothing. Loaders raise :class:`WeightsUnavailable` with the next step to take.
"""

from models.weights import WeightsUnavailable

__all__ = ["WeightsUnavailable"]
