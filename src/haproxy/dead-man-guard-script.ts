/**
 * piper's dead-man guard, in Lua, run by HAProxy itself (`lua-load`; docs/adr/0002-haproxy-dead-man-guard.md).
 *
 * The guard must outlive the controller: if piper goes silent during a migration (killed, hung,
 * cut off from the stats socket), the route goes back to its safe split without it. So the timer
 * lives in the data plane, as it does in piper's own balancer, and piper only arms it and feeds it
 * over the stats socket, on the same admin-level session as the weights:
 *
 * - `piper guard arm <route> <timeoutMs> <server>=<weight> ...`: arms (or re-arms) the route's
 *   guard with the safe split's weights, every server of the route's backend listed; prints
 *   nothing when armed, one line saying why otherwise (piper reads any output as a refusal);
 * - `piper guard beat <route>`: a heartbeat; nothing printed;
 * - `piper guard disarm <route>`: nothing printed;
 * - `piper guard show`: `# piper guard 1`, then `armed <route> <timeoutMs> <silentMs>` per armed
 *   guard and `fired <seq> <route> <agoMs> <silentMs> <timeoutMs>` per revert (the last 100).
 *
 * A task checks every 50 ms; when a guard has gone `timeoutMs` without a heartbeat it sets the
 * safe weights (`Server:set_weight`, as `set server ... weight` does), disarms and records the
 * revert. Its state lives in the worker: a new worker (restart, reload) starts with none, and piper
 * re-arms it when it re-applies the split (docs/haproxy.md, "Running piper on HAProxy").
 */
export const DEAD_MAN_GUARD_LUA = `-- piper's dead-man guard: written by piper, loaded by HAProxy (lua-load). Do not edit.
local guards = {}
local fired = {}
local seq = 0

local function now_ms()
  local t = core.now()
  return t.sec * 1000 + t.usec // 1000
end

local function arm(applet, route, timeout, ...)
  local be = route and core.backends[route]
  if be == nil then
    applet:send("piper guard: no backend " .. tostring(route) .. "\\n")
    return
  end
  local ms = math.tointeger(tonumber(timeout))
  if ms == nil or ms < 100 or ms > 3600000 then
    applet:send("piper guard: timeout " .. tostring(timeout) .. " is not 100..3600000 ms\\n")
    return
  end
  local weights = {}
  for _, pair in ipairs({ ... }) do
    local name, w = string.match(pair, "^([^=]+)=(%d+)$")
    local weight = w and math.tointeger(tonumber(w))
    if name == nil or weight == nil or weight > 256 or be.servers[name] == nil then
      applet:send("piper guard: bad server weight " .. pair .. " for " .. route .. "\\n")
      return
    end
    weights[#weights + 1] = { name, weight }
  end
  if #weights == 0 then
    applet:send("piper guard: no server weights for " .. route .. "\\n")
    return
  end
  guards[route] = { timeout = ms, beat = now_ms(), weights = weights }
end

core.register_cli({ "piper", "guard" }, "piper guard arm|beat|disarm|show : piper's dead-man guard", function(applet, _, _, verb, route, ...)
  if verb == "arm" then
    arm(applet, route, ...)
  elseif verb == "beat" then
    local g = route and guards[route]
    if g ~= nil then g.beat = now_ms() end
  elseif verb == "disarm" then
    if route ~= nil then guards[route] = nil end
  elseif verb == "show" then
    local now = now_ms()
    local routes = {}
    for name in pairs(guards) do routes[#routes + 1] = name end
    table.sort(routes)
    local out = { "# piper guard 1" }
    for _, name in ipairs(routes) do
      local g = guards[name]
      out[#out + 1] = "armed " .. name .. " " .. g.timeout .. " " .. (now - g.beat)
    end
    for _, f in ipairs(fired) do
      out[#out + 1] = "fired " .. f.seq .. " " .. f.route .. " " .. (now - f.at) .. " " .. f.silent .. " " .. f.timeout
    end
    applet:send(table.concat(out, "\\n") .. "\\n")
  else
    applet:send("piper guard: unknown verb " .. tostring(verb) .. "\\n")
  end
end)

core.register_task(function()
  while true do
    local now = now_ms()
    for route, g in pairs(guards) do
      if now - g.beat >= g.timeout then
        local be = core.backends[route]
        for _, sw in ipairs(g.weights) do
          local sv = be and be.servers[sw[1]]
          local err = sv and sv:set_weight(tostring(sw[2]))
          if err ~= nil then core.Alert("piper guard: " .. route .. "/" .. sw[1] .. ": " .. tostring(err)) end
        end
        seq = seq + 1
        fired[#fired + 1] = { seq = seq, route = route, at = now, silent = now - g.beat, timeout = g.timeout }
        if #fired > 100 then table.remove(fired, 1) end
        guards[route] = nil
        core.Warning("piper guard: no heartbeat for " .. route .. " in " .. (now - g.beat) .. " ms: safe split set")
      end
    end
    core.msleep(50)
  end
end)
`;
