-- An authenticated GET, rotating through the users' bearer tokens.
-- args: <path> <users file: id TAB token TAB username>
local common = require "common"

local requests, i = {}, 0

function init(args)
  for _, u in ipairs(common.read_rows(args[2])) do
    requests[#requests + 1] = wrk.format("GET", args[1], { ["Authorization"] = "Bearer " .. u[2] })
  end
  i = (tid or 0) * 7 -- threads start at different users
end

function request()
  i = i % #requests + 1
  return requests[i]
end
