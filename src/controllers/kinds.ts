// The resource types the operator watches, named from src/api so that URLs and kinds never drift.
import { GROUP, VERSION } from '../api/common.js';
import { LandingZoneNames } from '../api/landingzone.js';
import { SchemaReplicationNames } from '../api/schemareplication.js';
import { TenantCutoverNames } from '../api/tenantcutover.js';
import type { ResourceType } from '../runtime/resources.js';

function resourceOf(names: { kind: string; plural: string }): ResourceType {
  return { group: GROUP, version: VERSION, plural: names.plural, kind: names.kind };
}

export const LANDING_ZONES = resourceOf(LandingZoneNames);
export const SCHEMA_REPLICATIONS = resourceOf(SchemaReplicationNames);
export const TENANT_CUTOVERS = resourceOf(TenantCutoverNames);

export const ALL_KINDS: readonly ResourceType[] = [LANDING_ZONES, SCHEMA_REPLICATIONS, TENANT_CUTOVERS];
