"""Compile a PO file to the MO format gettext reads, in pure Python (no gettext tools needed)."""

import ast
import struct
from pathlib import Path


def read_po(path: Path) -> dict[str, str]:
    """msgid → msgstr of a PO file without plurals or contexts (what tmp_i18n_payments.po uses)."""
    messages, key, current = {}, None, None
    entry = {"msgid": "", "msgstr": ""}

    def flush():
        if entry["msgid"] or entry["msgstr"]:
            messages[entry["msgid"]] = entry["msgstr"]

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("msgid "):
            if key == "msgstr":
                flush()
                entry = {"msgid": "", "msgstr": ""}
            key, current = "msgid", line[6:]
            entry["msgid"] = ast.literal_eval(current)
        elif line.startswith("msgstr "):
            key, current = "msgstr", line[7:]
            entry["msgstr"] = ast.literal_eval(current)
        elif line.startswith('"') and key:
            entry[key] += ast.literal_eval(line)
    if key == "msgstr":
        flush()
    return messages


def write_mo(messages: dict[str, str], path: Path) -> None:
    """The GNU MO layout: header, two tables of (length, offset), then the strings."""
    keys = sorted(messages)
    ids = b"".join(k.encode() + b"\0" for k in keys)
    strs = b"".join(messages[k].encode() + b"\0" for k in keys)
    header_size = 7 * 4
    key_table = header_size
    value_table = key_table + len(keys) * 8
    ids_start = value_table + len(keys) * 8
    strs_start = ids_start + len(ids)
    key_entries, value_entries = [], []
    offset = 0
    for k in keys:
        key_entries.append((len(k.encode()), ids_start + offset))
        offset += len(k.encode()) + 1
    offset = 0
    for k in keys:
        value = messages[k].encode()
        value_entries.append((len(value), strs_start + offset))
        offset += len(value) + 1
    output = struct.pack("<7I", 0x950412DE, 0, len(keys), key_table, value_table, 0, 0)
    output += b"".join(struct.pack("<2I", *entry) for entry in key_entries)
    output += b"".join(struct.pack("<2I", *entry) for entry in value_entries)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(output + ids + strs)
