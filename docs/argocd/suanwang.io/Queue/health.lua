-- Argo CD health check for suanwang.io/Queue (docs/gitops-health.md). A queue is in force once the operator has
-- observed its spec (status.observedGeneration, Ready=True), as kstatus (Flux) reads it too: Healthy then,
-- Progressing before.
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

if obj.status == nil or (obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation) then
  return { status = "Progressing", message = "waiting for the operator to observe the latest spec" }
end
local ready = condition("Ready")
if ready ~= nil and ready.status ~= "True" then
  return { status = "Progressing", message = ready.message }
end
return { status = "Healthy", message = ready ~= nil and ready.message or "spec observed" }
