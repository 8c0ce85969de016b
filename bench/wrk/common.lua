-- Shared by every rolodex-bench workload: parameters from the environment, per-thread random
-- seeds, and a machine-readable summary line (BENCH_JSON {...}) printed when wrk finishes.
-- Usage (normally driven by rolodex-bench): cat common.lua get_contact.lua > w.lua;
--   BENCH_TOKEN=... BENCH_MIN_ID=1 BENCH_MAX_ID=100000 wrk -t2 -c64 -d10s -s w.lua http://127.0.0.1:8080

local function env_num(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return tonumber(v)
end

base = os.getenv("BENCH_BASE") or "/external/api/v1"
peer = os.getenv("BENCH_PEER") == "1"
min_id = env_num("BENCH_MIN_ID", 1)
max_id = env_num("BENCH_MAX_ID", 1)
min_company = env_num("BENCH_MIN_COMPANY", 1)
max_company = env_num("BENCH_MAX_COMPANY", 1)
list_pages = env_num("BENCH_LIST_PAGES", 1)
per_page = env_num("BENCH_PER_PAGE", 50)

headers = { ["Accept"] = "application/json" }
local token = os.getenv("BENCH_TOKEN")
if token ~= nil and token ~= "" then headers["Authorization"] = "Bearer " .. token end
-- The console workloads sign in with a session cookie, not a token.
console_headers = { ["Accept"] = "text/html", ["Cookie"] = "rolodex_console=" .. (os.getenv("BENCH_CONSOLE_SESSION") or "") }
json_headers = { ["Accept"] = "application/json", ["Content-Type"] = "application/json" }
if headers["Authorization"] ~= nil then json_headers["Authorization"] = headers["Authorization"] end

first_names = { "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
  "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen" }
last_names = { "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
  "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin" }

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  counter = 0
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
