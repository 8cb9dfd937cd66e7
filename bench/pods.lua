-- wrk script for many pods: every request reads the profile of the pod its proof was made for,
-- with that pod's grant and its own DPoP proof; each proof is sent exactly once.
--
--   wrk -t2 -c32 -d12s -s bench/pods.lua http://127.0.0.1:PORT/ -- \
--       PROOFS_FILE NTHREADS TARGETS_FILE HOST
--
-- TARGETS_FILE: line k is "PATH GRANT" for pod k (PATH the profile's request path, e.g.
-- /pods/c0007/data/profile). PROOFS_FILE: one "K PROOF" per line (made by bench/provider.py
-- just before the run, K a line of TARGETS_FILE). HOST is the Host header: the provider's
-- public host name, which every server behind it answers for.
--
-- As in proofs.lua: thread k of NTHREADS takes lines k, k+NTHREADS, ... (disjoint slices), a
-- thread that runs out stops rather than replay a proof, and done() prints "BENCH_JSON {...}"
-- in the same format.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("id", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

-- per-thread state (each thread has its own Lua state)
n = 0
i = 0
ok = 0
bad = 0
exhausted = 0
bad_statuses = ""
first_bad = ""
local requests, host

function init(args)
   local file, nthreads, targets_file = args[1], tonumber(args[2]), args[3]
   host = args[4]
   local paths, auths = {}, {}
   for line in io.lines(targets_file) do
      local path, grant = string.match(line, "^(%S+) (%S+)$")
      if path then
         paths[#paths + 1] = path
         auths[#auths + 1] = "DPoP " .. grant
      end
   end
   -- Requests are formatted here, before the clock starts, as proofs.lua's are read here.
   requests = {}
   local k = 0
   for line in io.lines(file) do
      if k % nthreads == id and #line > 0 then
         local target, proof = string.match(line, "^(%d+) (%S+)$")
         target = tonumber(target)
         requests[#requests + 1] = wrk.format("GET", paths[target], {
            ["Host"] = host,
            ["Authorization"] = auths[target],
            ["DPoP"] = proof,
            ["Accept"] = "text/turtle",
         })
      end
      k = k + 1
   end
   n = #requests
end

function request()
   if i >= n then
      -- Out of proofs: never replay one. Stop this thread; the run is marked invalid.
      exhausted = exhausted + 1
      wrk.thread:stop()
      return wrk.format("GET", "/__bench_out_of_proofs", {["Host"] = host})
   end
   i = i + 1
   return requests[i]
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
