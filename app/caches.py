"""In-process caches, registered where they are defined, so one reset_caches() clears them all.

Every cache here is an optimisation a fresh process starts without (SPEC §9: short lifetimes,
nothing instances must agree on); tests reset them between cases.
"""
_clearers = {}


def register_cache(name, clear):
    """Have reset_caches() call `clear()` (registering a name again replaces it); returns `clear`."""
    _clearers[name] = clear
    return clear


def reset_caches():
    """Empty every registered in-process cache."""
    for clear in list(_clearers.values()):
        clear()
