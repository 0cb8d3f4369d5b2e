-- wrk script of bench/server.mjs (Khabar server benchmark): the report.
--
-- Used as is for the GET runs (`wrk ... -s bench/wrk/report.lua URL`), and
-- loaded by post_comment.lua. Defines no request() or response(), so wrk
-- sends one fixed request and does not hand answers to Lua (cheapest).
--
-- done() prints one line "KHABAR_WRK_JSON {...}": requests, duration_us,
-- bytes, latency percentiles in microseconds, wrk's error counts (status =
-- answers with a status >= 400) and, when the script counted them in a
-- global `statuses` table (post_comment.lua does), every status code seen.

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("thread_index", #threads)
end

function done(summary, latency, requests)
  local by_status = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    if type(s) == "table" then
      for code, n in pairs(s) do
        by_status[code] = (by_status[code] or 0) + n
      end
    end
  end
  local parts = {}
  for code, n in pairs(by_status) do
    parts[#parts + 1] = string.format('"%d":%d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'KHABAR_WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ",")))
end
