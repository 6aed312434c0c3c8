-- Argo CD health of a tenantshift.io TenantCutover: Progressing while a move is in progress or waits
-- for its preconditions or a retry, Healthy when the side asked for serves (the source, until
-- spec.approved), Degraded when every retry was aborted or the move cannot be made.
-- Lua 5.1, as Argo CD runs it: standalone, no helpers.
local hs = {}
local waiting = { Reconciling = true, Throttled = true, TransientError = true, ReplicationNotReady = true,
  LagAboveGate = true, ValidationStale = true, RouteAgentsNotReady = true, MoveAborted = true,
  RetryScheduled = true, ReverseReplicationNotReady = true }

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then return c end
  end
  return nil
end

local ready = condition("Ready")
local exhausted = condition("RetriesExhausted")
if obj.status ~= nil and obj.status.step ~= nil and obj.status.step ~= "" then
  hs.status = "Progressing"
  hs.message = "Moving to the " .. tostring(obj.status.movingTo or "target") .. ": step " .. obj.status.step
elseif ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe this TenantCutover"
elseif obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
elseif exhausted ~= nil and exhausted.status == "True" then
  hs.status = "Degraded"
  hs.message = exhausted.message
elseif ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
elseif ready.status == "Unknown" or waiting[ready.reason] then
  hs.status = "Progressing"
  hs.message = ready.message
else
  hs.status = "Degraded"
  hs.message = ready.reason .. ": " .. ready.message
end
return hs
