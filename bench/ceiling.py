"""The ceiling: a bare WSGI app that answers "ok", served with the shop's gunicorn settings.

Whatever a page reaches is read as a share of what gunicorn, the network stack and wrk allow
on this machine in the same run.
"""

BODY = b"ok"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
