-- wrk script: every request carries its own DPoP proof, each proof is sent exactly once.
--
--   wrk -t2 -c32 -d12s -s bench/proofs.lua http://127.0.0.1:PORT/data/profile -- \
--       PROOFS_FILE NTHREADS GRANT_FILE /data/profile
--
-- PROOFS_FILE holds one proof per line (made by bench/run.py just before the run). Thread k of
-- NTHREADS takes lines k, k+NTHREADS, k+2*NTHREADS, ...: the slices are disjoint, and the
-- connections of one thread share its slice (one Lua state per thread, so no two requests get
-- the same line). A thread that runs out of proofs stops, and `exhausted` says so: run.py then
-- repeats the measurement with more proofs rather than replaying one.
--
-- done() prints one line, "BENCH_JSON {...}", with the counts and latency percentiles (us).

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("id", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

-- per-thread state (each thread has its own Lua state)
proofs = nil
n = 0
i = 0
ok = 0
bad = 0
exhausted = 0
bad_statuses = ""
first_bad = ""
local auth, path

function init(args)
   local file, nthreads, grant_file = args[1], tonumber(args[2]), args[3]
   path = args[4]
   local f = assert(io.open(grant_file, "r"))
   auth = "DPoP " .. f:read("*l")
   f:close()
   proofs = {}
   local k = 0
   for line in io.lines(file) do
      if k % nthreads == id and #line > 0 then
         proofs[#proofs + 1] = line
      end
      k = k + 1
   end
   n = #proofs
end

function request()
   if i >= n then
      -- Out of proofs: never replay one. Stop this thread; the run is marked invalid.
      exhausted = exhausted + 1
      wrk.thread:stop()
      return wrk.format("GET", "/__bench_out_of_proofs", {})
   end
   i = i + 1
   return wrk.format("GET", path, {
      ["Authorization"] = auth,
      ["DPoP"] = proofs[i],
      ["Accept"] = "text/turtle",
   })
end

function response(status, headers, body)
   if status == 200 then
      ok = ok + 1
   else
      bad = bad + 1
      if #bad_statuses < 200 then
         bad_statuses = bad_statuses .. status .. ","
      end
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
   local t_ok, t_bad, t_exh, t_used = 0, 0, 0, 0
   local statuses, sample = "", ""
   for _, t in ipairs(threads) do
      t_ok = t_ok + t:get("ok")
      t_bad = t_bad + t:get("bad")
      t_exh = t_exh + t:get("exhausted")
      t_used = t_used + t:get("i")
      statuses = statuses .. (t:get("bad_statuses") or "")
      if sample == "" then
         sample = t:get("first_bad") or ""
      end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"ok":%d,"not_ok":%d,"proofs_used":%d,"exhausted":%d,"bad_statuses":%s,"first_bad_body":%s,' ..
      '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d,' ..
      '"p50":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      t_ok, t_bad, t_used, t_exh, json_string(statuses), json_string(sample),
      latency.min, latency.mean, latency.stdev, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9)))
end
