-- Shared by every scenario script: reading the data files run.py writes, and a done()
-- that prints one machine-readable line for run.py:  WRK_RESULT {json}
-- Scenario scripts do `require "common"` (run.py puts benches/lua on LUA_PATH).

local common = {}
local threads = {} -- filled by setup()

-- Lines of a file, each split on tabs: { {field1, field2, ...}, ... }
function common.read_rows(path)
  local rows = {}
  for line in io.lines(path) do
    if line ~= "" then
      local row = {}
      for field in string.gmatch(line, "[^\t]+") do row[#row + 1] = field end
      rows[#rows + 1] = row
    end
  end
  assert(#rows > 0, "no rows in " .. path)
  return rows
end

-- Counters a scenario keeps in its threads' globals (e.g. "orders"); done() sums them.
common.counters = {}

-- setup() runs once per thread in the setup/done environment: number the threads and keep
-- them so done() can read their counters.
function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end

-- Scenarios whose unit of work is not one wrk request (order.lua's pipelined pair) time it
-- themselves: common.record(us) into a per-thread histogram of 10 µs buckets, and done() reports
-- those percentiles instead of wrk's. (wrk times a pipelined pair as one sample but its
-- coordinated-omission correction assumes one sample per response, which corrupts the p99.)
common.own_latency = false
hist = {}

local ffi = require "ffi"
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")

function common.now_us() -- CLOCK_MONOTONIC
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

function common.record(us)
  local bucket = math.floor(us / 10)
  hist[bucket] = (hist[bucket] or 0) + 1
end

local function own_percentiles()
  local merged, buckets, count, sum = {}, {}, 0, 0
  for _, t in ipairs(threads) do
    for bucket, n in pairs(t:get("hist") or {}) do
      if not merged[bucket] then buckets[#buckets + 1] = bucket end
      merged[bucket] = (merged[bucket] or 0) + n
    end
  end
  table.sort(buckets)
  for _, b in ipairs(buckets) do
    count = count + merged[b]
    sum = sum + merged[b] * (b * 10 + 5)
  end
  local function pct(p)
    local rank, seen = math.max(1, math.ceil(p / 100 * count)), 0
    for _, b in ipairs(buckets) do
      seen = seen + merged[b]
      if seen >= rank then return b * 10 + 5 end
    end
    return 0
  end
  return pct(50), pct(90), pct(99), count > 0 and sum / count or 0, count > 0 and buckets[#buckets] * 10 + 5 or 0
end

function done(summary, latency, requests)
  local e = summary.errors
  local p50, p90, p99, mean, max
  if common.own_latency then
    p50, p90, p99, mean, max = own_percentiles()
  else
    p50, p90, p99 = latency:percentile(50), latency:percentile(90), latency:percentile(99)
    mean, max = latency.mean, latency.max
  end
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
      e.connect, e.read, e.write, e.status, e.timeout),
    string.format('"latency_us":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,"max":%d,"source":"%s"}',
      p50, p90, p99, mean, max, common.own_latency and "script" or "wrk"),
  }
  local counts = {}
  for _, name in ipairs(common.counters) do
    local total = 0
    for _, t in ipairs(threads) do total = total + (t:get(name) or 0) end
    counts[#counts + 1] = string.format('"%s":%d', name, total)
  end
  parts[#parts + 1] = '"counters":{' .. table.concat(counts, ",") .. '}'
  io.write("WRK_RESULT {" .. table.concat(parts, ",") .. "}\n")
end

return common
