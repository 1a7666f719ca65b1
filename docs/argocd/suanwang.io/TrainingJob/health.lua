-- Argo CD health check for suanwang.io/TrainingJob (docs/gitops-health.md). It reads the conditions the operator
-- writes for kstatus (Flux), so both tools agree: Progressing while the job waits for capacity, starts or runs;
-- Healthy once it succeeded; Degraded once it failed, or while it can never fit the federation as built (Stalled);
-- Suspended while spec.suspend holds it.
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
local ready = condition("Ready")
if obj.status.phase == "Suspended" then
  return { status = "Suspended", message = ready ~= nil and ready.message or "suspended" }
end
local reconciling = condition("Reconciling")
if reconciling ~= nil and reconciling.status == "True" then
  return { status = "Progressing", message = reconciling.message }
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message }
end
return { status = "Progressing", message = ready ~= nil and ready.message or "waiting for the operator" }
