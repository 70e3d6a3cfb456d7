-- Trending with a different `since` on every request (no cache hit): a random second between the
-- corpus's oldest and newest article times.
math.randomseed(42)
local lo, hi = tonumber(os.getenv("LO")), tonumber(os.getenv("HI"))
local path = os.getenv("ROUTE") or "/v1/clusters"
request = function()
  local since = math.random(lo, hi)
  return wrk.format("GET", path .. "?limit=20&since=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", since))
end
