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

/** A subscription by what names its table-sync slots on the publisher: its oid and the subscriber server. */
export interface SyncSlotsOf {
  oid: number;
  /** pg_control_system().system_identifier of the subscriber; unknown only when it was never reachable. */
  systemIdentifier?: string;
}

/**
 * Table-sync slots of a subscription: pg_<subid>_sync_<relid>_<sysid> (PostgreSQL >= 14). The oid alone
 * is not enough: another subscriber server can have a subscription with the same oid on this publisher.
 */
export function tableSyncSlotPattern(of: SyncSlotsOf): RegExp {
  const sysid = of.systemIdentifier && /^\d+$/.test(of.systemIdentifier) ? of.systemIdentifier : '\\d+';
  return new RegExp(`^pg_${of.oid}_sync_\\d+_${sysid}$`);
}
