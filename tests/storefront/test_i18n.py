"""The storefront in Simplified Chinese, and the translation catalogue kept complete."""

import gettext
from datetime import date
from pathlib import Path

import pytest

import mallkit
from mallkit.catalog.models import Product
from mallkit.inventory.models import StockLevel

from .factories import CategoryFactory, make_product

PO_FILE = Path(mallkit.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.fixture
def chinese(client):
    client.cookies["django_language"] = "zh-hans"
    return client


@pytest.mark.django_db
def test_home_reads_in_chinese(chinese):
    make_product("Stoneware Teapot", "29.90", compare_at="39.90", is_featured=True)

    response = chinese.get("/")

    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "精选" in html
    assert "搜索商品" in html
    assert '<li class="badge badge--sale">特价</li>' in html
    assert "$29.90" in html


@pytest.mark.django_db
def test_listing_reads_in_chinese(chinese):
    kitchen = CategoryFactory(name="Kitchen")
    make_product("Teapot", categories=[kitchen])
    make_product("Mug", categories=[kitchen])

    html = chinese.get(f"/categories/{kitchen.slug}/", {"min_price": "abc"}).content.decode()

    assert "共 2 件商品" in html
    assert "仅显示有货" in html
    assert "排序方式" in html
    assert "输入一个数字。" in html  # Django's own message, in Chinese too


@pytest.mark.django_db
def test_product_page_reads_in_chinese(chinese):
    low = make_product("Teapot", stock=3)
    soon = make_product(
        "Kettle",
        status=Product.Status.COMING_SOON,
        published_at=None,
        expected_at=date(2030, 5, 17),
    )
    gone = make_product("Board", stock=2)
    StockLevel.objects.filter(variant__product=gone).update(allocated=2)

    assert "仅剩 3 件" in chinese.get(f"/products/{low.slug}/").content.decode()
    assert "缺货" in chinese.get(f"/products/{gone.slug}/").content.decode()
    soon_html = chinese.get(f"/products/{soon.slug}/").content.decode()
    assert "即将上市" in soon_html
    assert "预计到货日期：2030年5月17日" in soon_html


@pytest.mark.django_db
def test_not_found_page_reads_in_chinese(chinese):
    response = chinese.get("/no-such-page/")

    assert response.status_code == 404
    assert "我们找不到这个页面" in response.content.decode()


def po_entries():
    """(flags, key, [msgstr...]) for every entry of the Chinese catalogue; `key` is how Python's
    gettext files it: "context\x04msgid" with a context, else the msgid."""
    blocks = PO_FILE.read_text(encoding="utf-8").split("\n\n")
    for block in blocks[1:]:  # the first block is the header
        lines = [line for line in block.strip().splitlines() if not line.startswith("#~")]
        if not lines:
            continue
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            if not line.startswith('"'):
                current, line = line.split(" ", 1)
                fields[current] = ""
            fields[current] += (
                line.strip()[1:-1].encode().decode("unicode_escape").encode("latin-1").decode()
            )
        key = fields["msgid"]
        if "msgctxt" in fields:
            key = f"{fields['msgctxt']}\x04{key}"
        msgstrs = [value for name, value in fields.items() if name.startswith("msgstr")]
        yield flags, key, msgstrs, "msgid_plural" in fields


def test_every_message_has_a_chinese_translation():
    entries = list(po_entries())

    assert len(entries) > 100
    untranslated = [key for _flags, key, msgstrs, _plural in entries if not all(msgstrs)]
    fuzzy = [key for flags, key, _msgstrs, _plural in entries if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_its_source():
    with open(PO_FILE.with_suffix(".mo"), "rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)._catalog

    for _flags, key, msgstrs, plural in po_entries():
        if plural:
            assert [catalog.get((key, n)) for n in range(len(msgstrs))] == msgstrs, key
        else:
            assert catalog.get(key) == msgstrs[0], key
