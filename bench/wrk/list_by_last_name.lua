-- Workload 4b: the list of issue 14's target, GET /contacts?last_name[eq]=X&sort=first_name:desc
-- with 25 a page and the exact total. json-server: the same filter, _sort/_order and _page/_limit.
request = function()
  local last = last_names[math.random(#last_names)]
  local page = math.random(1, list_pages)
  local path
  if peer then
    path = "/contacts?last_name=" .. last .. "&_sort=first_name&_order=desc&_page=" .. page .. "&_limit=25"
  else
    path = base .. "/contacts?last_name%5Beq%5D=" .. last .. "&sort=first_name:desc&page=" .. page .. "&per_page=25"
  end
  return wrk.format("GET", path, headers)
end
