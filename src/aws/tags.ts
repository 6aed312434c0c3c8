// The identity tags every AWS resource of a LandingZone carries: how the operator finds (adopts) what
// it created, even after a crash between a create and the status write, and how it refuses others' things.
import type { Tag, TagSpecification, ResourceType } from '@aws-sdk/client-ec2';

/** Value: "<namespace>/<name>" of the owning LandingZone. */
export const LANDING_ZONE_TAG = 'tenantshift.io/landing-zone';
/** Which part of the landing zone this is (vpc, subnet, security-group, ...). */
export const PART_TAG = 'tenantshift.io/part';
export const MANAGED_BY_TAG = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'tenantshift';

export const PARTS = [
  'vpc',
  'subnet',
  'route-table',
  'security-group',
  'transit-gateway-attachment',
  'db-subnet-group',
  'db-parameter-group',
  'db-instance',
] as const;
export type Part = (typeof PARTS)[number];

export type TagMap = Record<string, string>;

/** "<namespace>/<name>": stable across deletion and re-creation of the object, so Retain + re-apply adopts. */
export function landingZoneIdentity(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export function identityTags(identity: string, part: Part, displayName: string): Tag[] {
  return [
    { Key: LANDING_ZONE_TAG, Value: identity },
    { Key: PART_TAG, Value: part },
    { Key: MANAGED_BY_TAG, Value: MANAGED_BY },
    { Key: 'Name', Value: displayName },
  ];
}

/** Tags at creation (EC2 TagSpecifications): a resource never exists untagged, even for a moment. */
export function tagSpecification(resourceType: ResourceType, tags: Tag[]): TagSpecification[] {
  return [{ ResourceType: resourceType, Tags: tags }];
}

/** The EC2 filter that selects a LandingZone's resources. */
export function identityFilter(identity: string): { Name: string; Values: string[] } {
  return { Name: `tag:${LANDING_ZONE_TAG}`, Values: [identity] };
}

export function tagMap(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): TagMap {
  const out: TagMap = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export function ownerOf(tags: TagMap): string | undefined {
  return tags[LANDING_ZONE_TAG];
}

export function isOwnedBy(tags: TagMap, identity: string): boolean {
  return ownerOf(tags) === identity;
}
