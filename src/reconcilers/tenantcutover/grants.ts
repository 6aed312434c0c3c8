// Each side's table ACLs, saved before a move's fence revokes its writes and given back when the
// tenant serves there again: the ACLs themselves on that side's server (postgres/savedgrants.ts), the
// save that counts in status.savedGrantSets (the guarded status write names it, so a save of a
// deposed operator never counts). A status written by an earlier version still holds them inline.
import type { Side, TenantCutoverStatus } from '../../api/index.js';
import type { SavedGrant } from '../../postgres/fence.js';
import { loadGrants, pruneGrants, saveGrants } from '../../postgres/savedgrants.js';
import type { World } from './observe.js';
import type { CutoverStatus } from './status.js';

const legacyField = (side: Side): 'savedGrants' | 'savedTargetGrants' => (side === 'source' ? 'savedGrants' : 'savedTargetGrants');

/** The grants saved when the tenant last left `side` (read from that side): given back once it serves there again. */
export async function savedGrantsOf(world: Pick<World, 'obj' | 'sides'>, status: TenantCutoverStatus, side: Side): Promise<SavedGrant[]> {
  const set = status.savedGrantSets?.[side];
  if (set) return loadGrants(world.sides[side].client, cutoverKey(world), set);
  return (status[legacyField(side)] ?? []).map((g) => ({
    table: g.table,
    acl: g.acl ?? null,
    ...(g.columns ? { columns: g.columns } : {}),
  }));
}

/** Saves `grants` on `side`, then names the save in status; older saves there go (best effort: the next save retries). */
export async function saveGrantsOf(
  world: Pick<World, 'obj' | 'sides'>,
  st: CutoverStatus,
  side: Side,
  grants: SavedGrant[],
): Promise<void> {
  const client = world.sides[side].client;
  const set = await saveGrants(client, cutoverKey(world), grants);
  await st.persist({ savedGrantSets: { ...st.status.savedGrantSets, [side]: set }, [legacyField(side)]: undefined });
  await pruneGrants(client, cutoverKey(world), set.id).catch(() => undefined);
}

function cutoverKey(world: Pick<World, 'obj'>): string {
  const uid = world.obj.metadata.uid;
  if (!uid) throw new Error(`TenantCutover ${world.obj.metadata.name} has no uid: its saved grants cannot be keyed`);
  return uid;
}
