-- wrk script of the benchmarks: POST signed webhooks read from a file, print a JSON summary.
-- Usage: wrk -tT -s bench/webhook.lua URL -- REQUESTS_FILE T [SCHEME]
-- (SCHEME: the Authorization scheme, "JWT" by default; "Bearer" for REST API calls)
-- Each line of REQUESTS_FILE is "<jwt>\t<compact JSON body>". Thread k of T takes lines k, k+T,
-- ... pre-formats them once and sends them in order, wrapping around at the end: with a file of
-- distinct JWTs (the add-on refuses a replayed one) no request repeats until a thread wraps.

local pool = {}
local index = 0
local counter = 0

function setup(thread)
  thread:set("thread_id", counter)
  counter = counter + 1
end

function init(args)
  local path = args[1]
  local threads = tonumber(args[2] or "1")
  local scheme = args[3] or "JWT"
  local me = thread_id or 0
  if path == nil then
    error("webhook.lua needs the request file: wrk ... URL -- FILE THREADS")
  end
  local lines = {}
  for line in io.lines(path) do
    if string.find(line, "\t", 1, true) ~= nil then
      lines[#lines + 1] = line
    end
  end
  for number, line in ipairs(lines) do
    -- a file with fewer lines than threads is shared whole (only for replayable requests)
    if #lines < threads or (number - 1) % threads == me then
      local tab = string.find(line, "\t", 1, true)
      local headers = {
        ["Content-Type"] = "application/json",
        ["Authorization"] = scheme .. " " .. string.sub(line, 1, tab - 1),
      }
      pool[#pool + 1] = wrk.format("POST", nil, headers, string.sub(line, tab + 1))
    end
  end
  if #pool == 0 then
    error("no requests in " .. path)
  end
end

function request()
  index = index % #pool + 1
  return pool[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
