from mallkit.core.text import plain_text, sanitize_html


def test_sanitize_keeps_formatting_and_drops_scripts_and_handlers():
    html = (
        '<p onclick="x()">Soft <strong>linen</strong><script>alert(1)</script></p>'
        '<a href="javascript:alert(1)">bad</a><a href="https://example.com">ok</a>'
        "<img src=x onerror=alert(1)>"
    )
    clean = sanitize_html(html)
    assert "<p>Soft <strong>linen</strong></p>" in clean
    assert "script" not in clean
    assert "onclick" not in clean
    assert "javascript:" not in clean
    assert "<img" not in clean
    assert 'href="https://example.com"' in clean


def test_plain_text_folds_whitespace():
    assert plain_text("<p>Soft\n\n <em>linen</em></p><ul><li>cool</li></ul>") == "Soft linen cool"
