"""Tests that mutation testing showed were missing from the safety kernel's suite.

Each test pins a behaviour a surviving mutant of ``safety.py``, ``rules.py``,
``terminology.py`` or ``engine.py`` changed without any other test noticing (see
``mutation/RESULTS.md``).
"""

from __future__ import annotations
