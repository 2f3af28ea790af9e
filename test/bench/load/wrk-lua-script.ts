/** Marks the line wrk's `done()` prints, so the runner finds it among wrk's own output. */
export const wrkResultMarker = 'BENCH_WRK ';

export interface WrkScriptOptions {
  /** Total requests per second to hold across all threads; undefined = as fast as possible. */
  readonly pacedRate?: number | undefined;
  readonly threads: number;
}

/**
 * The Lua script given to wrk. `done()` prints the figures as one JSON line. With a rate, `delay()`
 * hands each thread's free connections the next slot of a fixed schedule (1 ms resolution, wrk's
 * timer); a slot already past is not made up later, so a target too slow for the rate shows a lower
 * achieved rate, and `late` counts sends that started more than 1 ms behind their slot.
 */
export function wrkLuaScript(options: WrkScriptOptions): string {
  const report = `
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local late = 0
  for _, thread in ipairs(threads) do
    late = late + (thread:get("late") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    '${wrkResultMarker}{"requests":%.0f,"durationUs":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},' ..
    '"latencyUs":{"mean":%.1f,"p50":%.0f,"p90":%.0f,"p99":%.0f,"p999":%.0f,"max":%.0f},"late":%.0f}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, late))
end
`;
  if (options.pacedRate === undefined) return report;
  const intervalUs = (1_000_000 * options.threads) / options.pacedRate;
  return `${report}
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")
local interval_us = ${intervalUs.toFixed(3)}
local next_us = 0
late = 0

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end

function delay()
  local now = now_us()
  if next_us < now then
    if next_us > 0 and now - next_us > 1000 then late = late + 1 end
    next_us = now
  end
  local wait_ms = math.floor((next_us - now) / 1000)
  next_us = next_us + interval_us
  return wait_ms
end
`;
}
