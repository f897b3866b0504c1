-- Buyers: each request is a pipelined pair on one connection for one user,
--   POST /api/cart {productId: random, quantity: 1}   (refill: 200 with the cart)
--   POST /api/order                                     (201 with the order)
-- HTTP/1.1 answers a connection's requests in order, so the cart line is in before the order
-- is placed. wrk counts both responses as requests; the latency reported is the pair's, timed
-- here (see common.lua).
-- `orders` counts 201 responses to POST /api/order (recognised by `"orderId"` in the body).
-- A user is never in flight on two connections at once: each thread hands out its own users
-- from a free list and takes one back when its order response (which names userId) arrives.
-- args: <users file: id TAB token TAB username> <file of product ids> <number of wrk threads>
local common = require "common"
common.own_latency = true -- time each pair: sent → its order response (same user)
table.insert(common.counters, "orders")
table.insert(common.counters, "reused_busy_user")

orders, reused_busy_user = 0, 0

local users, by_id, products, sent = {}, {}, {}, {}
local free, head, tail = {}, 1, 0

local function release(index)
  tail = tail + 1
  free[tail] = index
end

function init(args)
  local nthreads = tonumber(args[3])
  for n, u in ipairs(common.read_rows(args[1])) do
    if (n - 1) % nthreads == tid then
      users[#users + 1] = { id = u[1], auth = "Bearer " .. u[2] }
      by_id[u[1]] = #users
      release(#users)
    end
  end
  for _, row in ipairs(common.read_rows(args[2])) do products[#products + 1] = row[1] end
  math.randomseed(os.time() + tid)
end

local rr = 0
function request()
  local index
  if head <= tail then
    index = free[head]
    free[head] = nil
    head = head + 1
  else -- every user of this thread busy or lost to a failed order: reuse one (counted)
    reused_busy_user = reused_busy_user + 1
    rr = rr % #users + 1
    index = rr
  end
  local u = users[index]
  sent[index] = common.now_us()
  local body = '{"productId":' .. products[math.random(#products)] .. ',"quantity":1}'
  return wrk.format("POST", "/api/cart", { ["Authorization"] = u.auth, ["Content-Type"] = "application/json" }, body)
    .. wrk.format("POST", "/api/order", { ["Authorization"] = u.auth })
end

function response(status, headers, body)
  if status == 201 and string.find(body, '"orderId"', 1, true) then
    orders = orders + 1
    local index = by_id[string.match(body, '"userId":(%d+)')]
    if index then
      common.record(common.now_us() - sent[index])
      release(index)
    end
  end
end
