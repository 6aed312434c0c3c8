// Deterministic names of what a SchemaReplication creates in PostgreSQL, derived from the object's
// namespace and name: the same object always finds (and cleans up) the same artifacts.
import { createHash } from 'node:crypto';

export interface ReplicationNames {
  /** Publication on the source, subscription on the target and its slot on the source share it. */
  base: string;
  publication: string;
  subscription: string;
  slot: string;
  /** The reverse path (target -> source) a cutover prepares. */
  reversePublication: string;
  reverseSubscription: string;
  reverseSlot: string;
}

/** Slot names allow only [a-z0-9_] and 63 bytes; the hash keeps distinct objects distinct. */
export function replicationNames(namespace: string, name: string): ReplicationNames {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 28);
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 8);
  const base = `ts_${slug}_${hash}`;
  return {
    base,
    publication: base,
    subscription: base,
    slot: base,
    reversePublication: `${base}_rev`,
    reverseSubscription: `${base}_rev`,
    reverseSlot: `${base}_rev`,
  };
}

/** Table-sync slots of a subscription: pg_<subid>_sync_<relid>_<sysid> (PostgreSQL ≥ 14). */
export function tableSyncSlotPattern(subscriptionOid: number): RegExp {
  return new RegExp(`^pg_${subscriptionOid}_sync_\\d+_\\d+$`);
}
