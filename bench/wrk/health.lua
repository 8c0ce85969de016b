-- The HTTP ceiling: the server's own GET /health.
request = function()
  return wrk.format("GET", "/health", headers)
end
