-- POST /api/auth/login with valid credentials, rotating through the users.
-- args: <users file: id TAB token TAB username> <password>
local common = require "common"

local requests, i = {}, 0

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  for _, u in ipairs(common.read_rows(args[1])) do
    local body = string.format('{"login":"%s","password":"%s"}', u[3], args[2])
    requests[#requests + 1] = wrk.format("POST", "/api/auth/login", headers, body)
  end
  i = (tid or 0) * 13
end

function request()
  i = i % #requests + 1
  return requests[i]
end
