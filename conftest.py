"""Repository-wide test settings: hypothesis timing must not depend on machine load."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Property tests assert behaviour, never speed (speed lives in benchmarks/), so no per-example
# deadline and no "too slow" health check: a loaded CI machine must not fail them.
settings.register_profile(
    "herniarules", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough",
    parent=settings.get_profile("herniarules"),
    max_examples=2000,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "herniarules"))
