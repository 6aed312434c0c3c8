-- Argo CD health of a tenantshift.io SchemaReplication: Healthy once Ready (every table streaming, lag
-- under the threshold, or the target serving after a cutover), Progressing during the copy and while
-- catching up, Suspended with spec.suspend, Degraded when it is blocked (the Ready message names the fix).
-- Lua 5.1, as Argo CD runs it: standalone, no helpers.
local hs = {}
local waiting = { Reconciling = true, Deleting = true, Throttled = true, TransientError = true,
  InitialCopyInProgress = true, LagAboveThreshold = true, CutoverInProgress = true, SubscriptionCreated = true,
  SubscriptionRefreshed = true }

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then return nil end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then return c end
  end
  return nil
end

local ready = condition("Ready")
if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "Deleting: the operator drops the slot and publication on the source"
elseif obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Replication is suspended (spec.suspend: true)"
elseif ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe this SchemaReplication"
elseif obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
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
