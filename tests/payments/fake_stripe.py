"""A local stand-in for the few Stripe API endpoints the gateway calls, recording each request.

It runs http.server on 127.0.0.1 in a thread; the SDK is pointed at it with STRIPE_API_BASE, so
the real `stripe` package does the requests, never reaching the internet. Like Stripe, a request
repeated with the same Idempotency-Key gets the first answer again.
"""

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    params: dict


class FakeStripe:
    def __init__(self):
        self.requests: list[Recorded] = []
        self.refund_error: tuple[int, dict] | None = None
        self._answers: dict[tuple[str, str], tuple[int, dict]] = {}
        self._count = 0
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(parse_qsl(self.rfile.read(length).decode()))
                status, body = fake.answer(self.command, self.path, dict(self.headers), params)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.send_header("Request-Id", "req_fake")
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method, path, headers, params):
        with self._lock:
            self.requests.append(Recorded(method, path, headers, params))
            key = (path, headers.get("Idempotency-Key", ""))
            if key[1] and key in self._answers:
                return self._answers[key]
            self._count += 1
            answer = self._route(path, params, self._count)
            self._answers[key] = answer
            return answer

    def _route(self, path, params, number):
        if path == "/v1/checkout/sessions":
            session_id = f"cs_test_{number}"
            return 200, {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": int(params["line_items[0][price_data][unit_amount]"]),
                "currency": params["line_items[0][price_data][currency]"],
                "client_reference_id": params.get("client_reference_id"),
                "metadata": {"reference": params.get("metadata[reference]")},
                "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            }
        if path == "/v1/refunds":
            if self.refund_error:
                return self.refund_error
            return 200, {
                "id": f"re_test_{number}",
                "object": "refund",
                "amount": int(params["amount"]),
                "currency": "usd",
                "payment_intent": params.get("payment_intent"),
                "status": "succeeded",
            }
        return 404, {
            "error": {"type": "invalid_request_error", "message": f"Unrecognized URL {path}"}
        }
