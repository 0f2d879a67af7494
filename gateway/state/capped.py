"""Records kept in the shared state under byte caps: per record, per owner and
in total. Redis also holds every rate-limit and budget counter, so what clients
ask it to keep (stored Responses API turns) must never be able to fill it.

A record that would pass its owner's cap or the total cap evicts that owner's
own oldest records first, as many as it takes; if even all of them would not
make room (the rest is other owners'), or the record is too large on its own,
it is refused. Another owner's records are never evicted: one key must not be
able to push out everyone else's. Each record expires after its TTL.

Bookkeeping, under `book` (a key prefix): `<book>index` (sorted set: id by
expiry), `<book>meta` (hash: id -> "size owner"), `<book>bytes` (hash: owner ->
bytes, "*" -> total) and `<book>owner:<owner>` (sorted set: the owner's ids by
expiry). Expired records leave the bookkeeping on later saves (up to
PURGE_BATCH at a time), so until then they still count: the caps err on the
safe side. The value itself is a plain key, `<record_prefix><id>`, read with
an ordinary GET.

As in scripts.py, the Lua script has a Python twin for MemoryState, atomic
there because it never awaits; tests/gateway/test_capped_store.py runs every
case against both.
"""
from __future__ import annotations

import enum
import itertools
from collections import OrderedDict
from dataclasses import dataclass, field

from gateway.state.scripts import LuaScript

PURGE_BATCH = 100
MAX_VICTIMS = 1000  # a save looks at no more of the owner's oldest records than this
BOOK_GRACE_MS = 60_000  # the bookkeeping outlives the last record saved by this much


class Saved(enum.Enum):
    STORED = "stored"
    TOO_LARGE = "too_large"  # larger than the record cap or the owner's cap
    FULL = "full"  # the total cap would be passed


@dataclass(frozen=True, slots=True)
class Caps:
    max_record_bytes: int
    max_owner_bytes: int
    max_total_bytes: int


@dataclass(frozen=True, slots=True)
class CappedRecord:
    book: str  # bookkeeping key prefix, e.g. "responses:"
    record_prefix: str  # the value is kept at record_prefix + record_id
    record_id: str
    owner: str
    value: bytes
    ttl_seconds: float

    @property
    def ttl_ms(self) -> int:
        return max(1, int(self.ttl_seconds * 1000))


_FORGET = """
local index, meta, bytes = KEYS[1], KEYS[2], KEYS[3]
local record_prefix, owner_prefix = ARGV[1], ARGV[2]
local function forget(rid)
  redis.call('DEL', record_prefix .. rid)
  redis.call('ZREM', index, rid)
  local m = redis.call('HGET', meta, rid)
  if not m then return end
  redis.call('HDEL', meta, rid)
  local sep = string.find(m, ' ', 1, true)
  local size, who = tonumber(string.sub(m, 1, sep - 1)), string.sub(m, sep + 1)
  redis.call('ZREM', owner_prefix .. who, rid)
  if redis.call('HINCRBY', bytes, who, -size) <= 0 then redis.call('HDEL', bytes, who) end
  redis.call('HINCRBY', bytes, '*', -size)
end
"""

# KEYS: index, meta, bytes, the owner's set. ARGV: record prefix, owner prefix (both
# with the state's own prefix), id, owner, value, ttl ms, record cap, owner cap,
# total cap. Reply: "stored" | "too_large" | "full".
CAPPED_SET = LuaScript.of(_FORGET + f"""
local id, owner, value = ARGV[3], ARGV[4], ARGV[5]
local ttl = tonumber(ARGV[6])
local max_record, max_owner, max_total = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
-- Redis's own clock, in ms: one clock for every gateway instance.
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
for _, rid in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now, 'LIMIT', 0, {PURGE_BATCH})) do
  forget(rid)
end
local size = #value
if size > max_record or size > max_owner then return 'too_large' end
if redis.call('HEXISTS', meta, id) == 1 then forget(id) end
local owned = tonumber(redis.call('HGET', bytes, owner) or '0')
local total = tonumber(redis.call('HGET', bytes, '*') or '0')
-- The owner's oldest records that must go for both caps to hold; none go if even
-- all of them (up to MAX_VICTIMS) would not make room.
local victims, freed = {{}}, 0
if owned + size > max_owner or total + size > max_total then
  for _, rid in ipairs(redis.call('ZRANGE', KEYS[4], 0, {MAX_VICTIMS - 1})) do
    local m = redis.call('HGET', meta, rid)
    if m then
      victims[#victims + 1] = rid
      freed = freed + tonumber(string.sub(m, 1, string.find(m, ' ', 1, true) - 1))
      if owned - freed + size <= max_owner and total - freed + size <= max_total then break end
    end
  end
end
if owned - freed + size > max_owner or total - freed + size > max_total then return 'full' end
for _, rid in ipairs(victims) do forget(rid) end
redis.call('SET', record_prefix .. id, value, 'PX', ttl)
redis.call('ZADD', index, now + ttl, id)
redis.call('ZADD', KEYS[4], now + ttl, id)
redis.call('HSET', meta, id, size .. ' ' .. owner)
redis.call('HINCRBY', bytes, owner, size)
redis.call('HINCRBY', bytes, '*', size)
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ttl + {BOOK_GRACE_MS}) end
return 'stored'
""")

# KEYS: index, meta, bytes. ARGV: record prefix, owner prefix, id.
CAPPED_DELETE = LuaScript.of(_FORGET + """
forget(ARGV[3])
return 1
""")


def set_arguments(record: CappedRecord, caps: Caps, prefix: str) -> tuple[list[str], list]:
    """KEYS (without the state's prefix) and ARGV of CAPPED_SET."""
    book = record.book
    keys = [book + "index", book + "meta", book + "bytes", f"{book}owner:{record.owner}"]
    args = [prefix + record.record_prefix, f"{prefix}{book}owner:", record.record_id, record.owner, record.value,
            str(record.ttl_ms), str(caps.max_record_bytes), str(caps.max_owner_bytes), str(caps.max_total_bytes)]
    return keys, args


def delete_arguments(book: str, record_prefix: str, record_id: str, prefix: str) -> tuple[list[str], list]:
    return [book + "index", book + "meta", book + "bytes"], [prefix + record_prefix, f"{prefix}{book}owner:",
                                                              record_id]


# The Python twin. The values live in MemoryState's own table (so its get() reads
# them); the bookkeeping of each book lives here.
@dataclass
class Book:
    # id -> (owner, size, expires_at), in the order saved (= expiry order for one TTL)
    records: OrderedDict[str, tuple[str, int, float]] = field(default_factory=OrderedDict)
    owners: dict[str, OrderedDict[str, None]] = field(default_factory=dict)
    owner_bytes: dict[str, int] = field(default_factory=dict)
    total: int = 0

    def forget(self, record_id: str) -> None:
        found = self.records.pop(record_id, None)
        if found is None:
            return
        owner, size, _ = found
        ids = self.owners.get(owner)
        if ids is not None:
            ids.pop(record_id, None)
            if not ids:
                del self.owners[owner]
        left = self.owner_bytes.get(owner, 0) - size
        if left > 0:
            self.owner_bytes[owner] = left
        else:
            self.owner_bytes.pop(owner, None)
        self.total -= size

    def expired(self, now: float) -> list[str]:
        found = []
        for record_id, (_, _, expires_at) in self.records.items():
            if expires_at > now or len(found) >= PURGE_BATCH:
                break
            found.append(record_id)
        return found


def capped_set_in_process(state, books: dict[str, Book], record: CappedRecord, caps: Caps, now: float) -> Saved:
    """CAPPED_SET for MemoryState (`now`: its monotonic clock)."""
    book = books.setdefault(record.book, Book())

    def forget(record_id: str) -> None:
        book.forget(record_id)
        state.forget_now([record.record_prefix + record_id])

    for record_id in book.expired(now):
        forget(record_id)
    size = len(record.value)
    if size > caps.max_record_bytes or size > caps.max_owner_bytes:
        return Saved.TOO_LARGE
    if record.record_id in book.records:
        forget(record.record_id)
    owned = book.owner_bytes.get(record.owner, 0)
    victims, freed = [], 0
    if owned + size > caps.max_owner_bytes or book.total + size > caps.max_total_bytes:
        for record_id in itertools.islice(book.owners.get(record.owner, ()), MAX_VICTIMS):
            victims.append(record_id)
            freed += book.records[record_id][1]
            if owned - freed + size <= caps.max_owner_bytes and book.total - freed + size <= caps.max_total_bytes:
                break
    if owned - freed + size > caps.max_owner_bytes or book.total - freed + size > caps.max_total_bytes:
        return Saved.FULL
    for record_id in victims:
        forget(record_id)
    expires_at = now + record.ttl_seconds
    state.set_now(record.record_prefix + record.record_id, record.value, record.ttl_seconds)
    book.records[record.record_id] = (record.owner, size, expires_at)
    book.owners.setdefault(record.owner, OrderedDict())[record.record_id] = None
    book.owner_bytes[record.owner] = book.owner_bytes.get(record.owner, 0) + size
    book.total += size
    return Saved.STORED


def capped_delete_in_process(state, books: dict[str, Book], book_name: str, record_prefix: str,
                             record_id: str) -> None:
    book = books.get(book_name)
    if book is not None:
        book.forget(record_id)
    state.forget_now([record_prefix + record_id])
