-- Argo CD health of a tenantshift.io LandingZone: Healthy once Ready, Progressing while AWS converges,
-- Suspended while a static parameter change waits for spec.database.allowReboot, Degraded when the
-- operator cannot act (the Ready message says why). Lua 5.1, as Argo CD runs it: standalone, no helpers.
local hs = {}
local waiting = { Reconciling = true, Creating = true, Modifying = true, Deleting = true, Throttled = true,
  TransientError = true, DriftCorrected = true, PendingAcceptance = true, StorageModificationLocked = true }

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
  hs.message = "Deleting: the operator applies spec.deletionPolicy to the AWS resources"
elseif ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe this LandingZone"
elseif obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(obj.metadata.generation)
elseif ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
elseif ready.reason == "RebootRequired" then
  hs.status = "Suspended"
  hs.message = ready.message
elseif ready.status == "Unknown" or waiting[ready.reason] then
  hs.status = "Progressing"
  hs.message = ready.message
else
  hs.status = "Degraded"
  hs.message = ready.reason .. ": " .. ready.message
end
return hs
