"""Run a function from many threads at once, each with its own database connection."""

import threading

from django.db import connections


def run_concurrently(func, args_list, *, timeout=60):
    """Call func(*args) for each args in args_list, all released at the same moment.

    Returns a list of (result, exception) in the order of args_list.
    """
    barrier = threading.Barrier(len(args_list))
    outcomes = [None] * len(args_list)

    def worker(index, args):
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = (func(*args), None)
        except Exception as exc:  # the caller inspects every outcome
            outcomes[index] = (None, exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return outcomes
