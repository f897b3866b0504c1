-- GET /api/products/:id for random product ids.   args: <file of product ids, one per line>
local common = require "common"

local requests = {}

function init(args)
  for _, row in ipairs(common.read_rows(args[1])) do
    requests[#requests + 1] = wrk.format("GET", "/api/products/" .. row[1])
  end
  math.randomseed(os.time() + (tid or 0))
end

function request()
  return requests[math.random(#requests)]
end
