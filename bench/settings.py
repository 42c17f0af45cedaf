"""Settings of the benchmarked shop: the shop's own, with static files collected to a folder of
the run (whitenoise's manifest storage needs them collected when DEBUG is off)."""

import os

from mallkit.settings import *  # noqa: F403

STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
