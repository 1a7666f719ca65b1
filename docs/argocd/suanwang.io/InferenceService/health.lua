-- Argo CD health check for suanwang.io/InferenceService (docs/gitops-health.md). It reads the conditions the
-- operator writes for kstatus (Flux), so both tools agree: Healthy once replicas.min replicas serve (a Degraded
-- condition, fewer than desired, is named in the message); Progressing while fewer serve; Degraded when the minimum
-- can never fit the federation as built, its queue can never admit it, or its spec cannot be carried out (Stalled).
local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function observed()
  if obj.status == nil then
    return false
  end
  local generation = obj.metadata.generation
  return generation == nil or obj.status.observedGeneration == generation
end

if not observed() then
  return { status = "Progressing", message = "waiting for the operator to observe the latest spec" }
end
local stalled = condition("Stalled")
if stalled ~= nil and stalled.status == "True" then
  return { status = "Degraded", message = stalled.message }
end
local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  return { status = "Progressing", message = reconciling.message }
end
local ready = condition("Ready")
if ready ~= nil and ready.status == "True" then
  local degraded = condition("Degraded")
  if degraded ~= nil and degraded.status == "True" then
    return { status = "Healthy", message = ready.message .. "; degraded: " .. degraded.message }
  end
  return { status = "Healthy", message = ready.message }
end
return { status = "Progressing", message = ready ~= nil and ready.message or "waiting for the operator" }
