-- wrk script of the intake benchmark; bench/intake_load.py runs it.
--
-- POST mode sends the multipart body in BODY_FILE (one report with one phone
-- JPEG) to /api/v1/reports. The body holds MARKER once, inside the photo's
-- EXIF unique id; every request replaces it with an id of the same length
-- made of NONCE, the wrk thread and a counter, so every photo has its own
-- content hash, and sends the same id as its Idempotency-Key:
--
--   wrk -t1 -c4 -d20s --timeout 30s -s bench/intake_load.lua http://127.0.0.1:PORT -- post BODY_FILE BOUNDARY MARKER NONCE
--
-- GET mode asks for /api/v1/reports/ID, the ids taken in turn from IDS_FILE
-- (one per line; a line "ID ETAG" sends ETAG in If-None-Match, a poll):
--
--   wrk -t1 -c4 -d10s -s bench/intake_load.lua http://127.0.0.1:PORT -- get IDS_FILE
--
-- At the end it writes one line, "WRK_RESULT " and a JSON object: requests,
-- duration_us, errors, latency_us (mean, p50, p90, p99, max) and statuses
-- (count of answers per HTTP status).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

function init(args)
   mode = args[1]
   counter = 0
   statuses = {}
   if mode == "post" then
      local file = assert(io.open(args[2], "rb"))
      local body = file:read("*a")
      file:close()
      marker = args[4]
      nonce = args[5]
      local at = body:find(marker, 1, true)
      assert(at, "the marker is not in the body")
      assert(not body:find(marker, at + 1, true), "the marker is in the body twice")
      -- The whole request is formatted once, the marker standing in the
      -- Idempotency-Key too, and cut into three parts around the two markers:
      -- each request is then a single concatenation.
      local headers = {["Content-Type"] = "multipart/form-data; boundary=" .. args[3], ["Idempotency-Key"] = marker}
      local whole = wrk.format("POST", "/api/v1/reports", headers, body)
      local first = whole:find(marker, 1, true)
      local second = whole:find(marker, first + #marker, true)
      parts = {whole:sub(1, first - 1), whole:sub(first + #marker, second - 1), whole:sub(second + #marker)}
   elseif mode == "get" then
      ids = {}
      etags = {}
      for line in io.lines(args[2]) do
         local id, etag = line:match("^(%S+)%s+(%S+)$")
         if id then
            table.insert(ids, id)
            etags[#ids] = etag
         elseif line ~= "" then
            table.insert(ids, line)
         end
      end
      assert(#ids > 0, "no report ids")
   else
      error("the first argument is post or get")
   end
end

function request()
   counter = counter + 1
   if mode == "post" then
      local unique = string.format("%s%04x%016x", nonce, thread_number, counter)
      unique = string.sub(unique .. string.rep("0", #marker), 1, #marker)
      return parts[1] .. unique .. parts[2] .. unique .. parts[3]
   end
   local index = (counter * 7 + thread_number) % #ids + 1
   local etag = etags[index]
   return wrk.format("GET", "/api/v1/reports/" .. ids[index], etag and {["If-None-Match"] = etag} or nil)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local totals = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         totals[status] = (totals[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(totals) do
      table.insert(parts, string.format('"%d": %d', status, count))
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests": %d, "duration_us": %d, '
         .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
         .. '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}, "statuses": {%s}}\n',
      summary.requests, summary.duration,
      errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      table.concat(parts, ", ")))
end
