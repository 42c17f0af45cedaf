"""Fixtures of the production tests: a browser page that records CSP violations."""

import pytest

# Runs in every page before its own scripts: violations are events of the document, which the
# console only reports as text.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(
    event.effectiveDirective + " blocked " + (event.blockedURI || "inline") + " in " +
    (event.sourceFile || document.location.pathname) + ":" + event.lineNumber
  );
});
"""


class ViolationLog:
    """What the browser refused under the Content-Security-Policy, and script errors."""

    def __init__(self, page):
        self.page = page
        self.console = []
        self.errors = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def collect(self) -> list[str]:
        """Every violation so far: the console's reports and the current document's events."""
        self.page.wait_for_load_state("networkidle")
        events = self.page.evaluate("window.__cspViolations || []")
        return [*self.console, *events, *self.errors]


@pytest.fixture
def violations(page):
    return ViolationLog(page)
