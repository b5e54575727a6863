"""The combined scan of bench/run.py: what a consumer's phone does with a label, measured over
many demo codes rather than one URL.

A scan is two requests on one connection: the label's URI through the resolver (a 307), then
the trace page its ``Location`` names. wrk drives it with a Lua script (``lua_script``): each
thread walks the list of codes from its own starting point, and every 307 it reads queues
a GET of its ``Location`` (its path: the demo's ``PUBLIC_BASE_URL`` names another host than
the loopback port), sent as that thread's next request. So half the requests are resolver
hits and half trace pages, spread over up to ``DEFAULT_CODES`` lots: the trace page cache
holds each page once per worker, as in production, instead of serving one page from memory
the whole run. wrk counts requests; a scan is two (``Target.unit_requests`` in bench/run.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

DEFAULT_CODES = 400  # lots scanned (the demo country holds about a thousand)


def demo_label_paths(limit: int = DEFAULT_CODES) -> list[str]:
    """The label paths (``/01/{GTIN}/10/{lot}`` or ``/p/{ref}/10/{lot}``) of up to ``limit``
    demo lots, spread evenly over all of them (by id), withdrawn lots left out. Runs in an
    app context on a seeded database."""
    from sqlalchemy import select

    from core.db import db
    from traceability.gs1 import parse_digital_link
    from traceability.models.batches import Batch, BatchStatus
    from traceability.services.resolution import key_path_of

    identifiers = list(db.session.scalars(
        select(Batch.identifier).where(Batch.status != BatchStatus.VOID).order_by(Batch.id)
    ))
    if not identifiers:
        raise RuntimeError("no lot to scan: is the demo seeded?")
    step = max(1, len(identifiers) // max(1, limit))
    chosen = identifiers[::step][:limit]
    return ["/" + key_path_of(parse_digital_link(uri)) for uri in chosen]


def _lua_string(value: str) -> str:
    if "]==]" in value:  # never in a percent-encoded path; refuse rather than break the script
        raise ValueError(f"cannot quote {value!r} for Lua")
    return "[==[" + value + "]==]"


def lua_script(paths: Sequence[str], headers: Mapping[str, str]) -> str:
    """wrk's script for the scan: the codes, the phone's headers, and the redirect followed."""
    if not paths:
        raise ValueError("no path to scan")
    codes = ",\n".join(f"  {_lua_string(p)}" for p in paths)
    header_lines = "\n".join(
        f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()
    )
    return f"""-- bench/scan.py: a scan is the label's URI (307), then the page its Location names.
local codes = {{
{codes}
}}
{header_lines}

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

local next_code = 0
local pending = {{}}  -- paths of Locations read, not requested yet (this thread's)

function init(args)
  -- Threads start apart in the list, so that they do not scan the same code together.
  next_code = ((thread_number or 1) - 1) * 7919 % #codes
end

function request()
  local path = table.remove(pending, 1)
  if path == nil then
    next_code = next_code % #codes + 1
    path = codes[next_code]
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status == 307 then
    local location = headers["Location"] or headers["location"]
    if location then
      -- Its path: the page is on this server whatever host PUBLIC_BASE_URL names.
      local path = location:gsub("^%a[%w+.-]*://[^/]+", "")
      table.insert(pending, path)
    end
  end
end
"""
