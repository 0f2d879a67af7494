"""spend/held.py: the process's own copy of the spend items it has not seen committed."""
from spend.held import HeldItems, held_items, reset


def test_taken_items_count_as_held_until_forgotten():
    held = HeldItems()
    for item in (b"a", b"b", b"c"):
        held.add(item)

    batch = held.take(2)

    assert batch == [b"a", b"b"] and len(held) == 3
    assert held.take(5) == [b"c"]  # a second write never gets the first one's items
    held.forget(batch)
    assert len(held) == 1


def test_a_batch_put_back_is_first_in_line_again_in_order():
    held = HeldItems()
    for item in (b"a", b"b", b"c"):
        held.add(item)
    batch = held.take(2)
    held.add(b"d")

    held.put_back(batch)

    assert len(held) == 4
    assert held.take(10) == [b"a", b"b", b"c", b"d"]


def test_the_process_has_one_held_buffer_until_reset():
    held_items().add(b"a")
    assert held_items() is held_items() and len(held_items()) == 1

    reset()

    assert len(held_items()) == 0
