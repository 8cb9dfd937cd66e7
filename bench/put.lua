-- wrk script: the owner PUTs a document, no If-Match (last writer wins).
--
--   wrk -t2 -c8 -d10s -s bench/put.lua http://127.0.0.1:PORT/data/profile -- \
--       AUTH_FILE /data/profile BODY_FILE [BODY_FILE...]
--
-- AUTH_FILE holds the Authorization header's value on one line (a file, not an argument, so
-- the token does not show in `ps`). With several BODY_FILEs, each thread sends them in turn,
-- so that concurrent writes replace the document with a different one (with one body, every
-- write stores the same ETag and no two writers can ever conflict).
--
-- done() prints one line, "BENCH_JSON {...}", with the counts by status and the latency
-- percentiles (us).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

-- per-thread state (each thread has its own Lua state)
requests_made = {}
i = 0
ok = 0
bad = 0
statuses = {}
first_bad = ""

function init(args)
   local f = assert(io.open(args[1], "r"))
   local auth = f:read("*l")
   f:close()
   for k = 3, #args do
      local b = assert(io.open(args[k], "rb"))
      local body = b:read("*a")
      b:close()
      -- Formatted once: wrk sends the same bytes again, so the script costs wrk nothing.
      requests_made[#requests_made + 1] = wrk.format("PUT", args[2], {
         ["Authorization"] = auth,
         ["Content-Type"] = "text/turtle",
      }, body)
   end
end

function request()
   i = i + 1
   return requests_made[(i % #requests_made) + 1]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      bad = bad + 1
      if first_bad == "" and body then
         first_bad = string.sub(body, 1, 300)
      end
   end
end

local function json_string(s)
   s = string.gsub(s or "", '[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
   end)
   return '"' .. s .. '"'
end

function done(summary, latency, requests)
   local t_ok, t_bad, by_status, sample = 0, 0, {}, ""
   for _, t in ipairs(threads) do
      t_ok = t_ok + t:get("ok")
      t_bad = t_bad + t:get("bad")
      for status, count in pairs(t:get("statuses")) do
         by_status[status] = (by_status[status] or 0) + count
      end
      if sample == "" then
         sample = t:get("first_bad") or ""
      end
   end
   local parts = {}
   for status, count in pairs(by_status) do
      parts[#parts + 1] = string.format('"%d":%d', status, count)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"ok":%d,"not_ok":%d,"statuses":{%s},"first_bad_body":%s,' ..
      '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
      '"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      t_ok, t_bad, table.concat(parts, ","), json_string(sample),
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9)))
end
