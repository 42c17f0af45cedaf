"""Load benchmarks of the shop: `python -m bench` (pages) and `python -m bench checkout`."""
