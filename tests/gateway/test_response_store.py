"""The in-memory table of stored responses (no Redis): bounded and expiring."""
import time

from gateway.proxy.response_store import MemoryTable


def test_the_oldest_records_go_first_beyond_the_capacity():
    table = MemoryTable(capacity=2)
    for name in ("a", "b", "c"):
        table.set(name, name.encode(), ttl_seconds=60)

    assert table.get("a") is None
    assert (table.get("b"), table.get("c")) == (b"b", b"c")


def test_a_record_is_gone_after_its_ttl():
    table = MemoryTable(capacity=10)
    table.set("short", b"x", ttl_seconds=0.05)
    table.set("long", b"y", ttl_seconds=60)
    time.sleep(0.1)

    assert table.get("short") is None and table.get("long") == b"y"
    table.delete("long")
    assert table.get("long") is None
