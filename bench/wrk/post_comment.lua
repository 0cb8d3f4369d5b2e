-- wrk script of bench/server.mjs (Khabar server benchmark): POST comments.
--
--   wrk ... -s bench/wrk/post_comment.lua http://HOST/api/v1/articles/ID/comments -- RUNTAG
--
-- Every request posts a new comment: a fresh idempotency key, UUID-shaped
-- and unique by construction (RUNTAG, 8 hex digits chosen anew for every
-- run, then the wrk thread's number, random bits and a per-thread counter),
-- and a different author and body each time. Status codes are counted for
-- the report (201 = stored; anything else is a problem: 429 means the rate
-- limit bit, 409 a reused key, 5xx a server error).

-- The report (setup/done) lives next to this file.
local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
dofile(here .. "report.lua")

local runtag = "00000000"
local counter = 0
statuses = {}

-- Reader comments of a typical length (Arabic and Latin); the counter
-- makes every body different.
local phrases = {
  "شكراً على هذا التقرير المفصّل، ننتظر المزيد من التفاصيل عن التمويل",
  "أتفق مع ما جاء في المقال، لكن الأرقام تحتاج إلى مصدر واضح",
  "Good reporting, but what about the second district and its bus lines?",
  "متى سيبدأ تنفيذ الخطة فعلاً؟ سمعنا هذا الكلام من قبل",
  "This was already announced last year; nothing has changed since.",
}

function init(args)
  runtag = args[1] or runtag
  math.randomseed(os.time() + (thread_index or 0) * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local t = thread_index or 0
  local key = string.format("%s-%04x-4%03x-%04x-%012x",
    runtag, t % 0x10000, math.random(0, 0xfff),
    0x8000 + math.random(0, 0x3fff), counter)
  local body = string.format(
    '{"author":"قارئ %d-%d","email":"","body":"%s (%s-%d-%d)",' ..
    '"idempotency_key":"%s","website":""}',
    t, counter, phrases[counter % #phrases + 1], runtag, t, counter, key)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
