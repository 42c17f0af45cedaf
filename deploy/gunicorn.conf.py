"""gunicorn's settings for Mallkit (deploy/systemd/mallkit-web.service starts it with them).

Every value can be changed from the environment file without editing this one.
"""

import multiprocessing
import os

# Only nginx talks to gunicorn: on one box through loopback; with several app servers, set
# GUNICORN_BIND=0.0.0.0:8000 and let the firewall admit only the load balancer.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each serves one request at a time, so a slow request cannot stall others in
# its process. Two per core plus one is gunicorn's own rule of thumb.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, so a slow leak can never grow without bound.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file in memory, not on a disk that may stall under load.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - a heartbeat file of no value to anyone
# Django writes one structured line per request (mallkit.request); gunicorn's own access log
# would only repeat it. Errors and worker restarts still go to standard error (the journal).
accesslog = None
errorlog = "-"
# gunicorn itself believes X-Forwarded-* only from these addresses (nginx on this machine).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
