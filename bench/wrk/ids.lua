-- Detail routes for random group ids (404s included when an id is not a live group).
math.randomseed(7)
local n = tonumber(os.getenv("N"))
local fmt = os.getenv("FMT") or "/v1/clusters/%d"
request = function()
  return wrk.format("GET", string.format(fmt, math.random(0, n - 1)))
end
