-- wrk: a valid identify of 10 faceIds, the same request every time.
local ids = {}
for i = 0, 9 do
  ids[#ids + 1] = string.format('"c5c24a82-6845-4031-9d5d-%012x"', i)
end
wrk.method = "POST"
wrk.path = "/face/v1.2/identify"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Ocp-Apim-Subscription-Key"] = "bench-key"
wrk.body = '{"faceIds":[' .. table.concat(ids, ",") .. '],"largePersonGroupId":"staff"}'
