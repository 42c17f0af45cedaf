"""Text helpers: sanitising rich text and making search documents."""

import html as html_lib
import re

import nh3
from django.utils.html import strip_tags

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "span",
    "code",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}


def sanitize_html(html: str) -> str:
    """Keep the formatting a product description needs and drop everything executable."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    ).strip()


def plain_text(html: str) -> str:
    """Return the visible words of an HTML fragment, whitespace folded."""
    # A space before every tag keeps words of adjacent blocks apart ("</li><li>").
    text = html_lib.unescape(strip_tags((html or "").replace("<", " <")))
    return re.sub(r"\s+", " ", text).strip()
