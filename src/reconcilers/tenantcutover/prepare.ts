// Before the freeze: the way back is made ready (a rehearsal changes nothing, so it prepares nothing)
// and the grants of the side that gives up the tenant are read and saved, to be restored on its return.
import type { Side } from '../../api/index.js';
import { conninfo } from '../../postgres/connection.js';
import { carryGrants, qualifiedNames, readGrants, type SavedGrant } from '../../postgres/fence.js';
import { preparePath } from '../../postgres/reverse.js';
import { sentinelPublicationEntry } from '../../postgres/sentinel.js';
import { savedGrantsOf, saveGrantsOf } from './grants.js';
import { pathsFor, type World } from './observe.js';
import type { CutoverStatus } from './status.js';

export async function prepareMove(world: World, st: CutoverStatus, from: Side, to: Side, rehearse: boolean): Promise<SavedGrant[]> {
  if (!rehearse) {
    const publisher = world.sides[to];
    await preparePath({
      publisher: publisher.client,
      subscriber: world.sides[from],
      path: pathsFor(world, to).back,
      tables: world.tables,
      publisherConninfo: conninfo(publisher.info, world.replication.spec.subscriptionSslFallback, 'the way back'),
      extra: [sentinelPublicationEntry(world.replication.spec.tenant)],
    });
    await carryMissingGrants(world, st, from, to);
  }
  // Saved for rehearsals too: the fence revokes the serving side's writes, and a restarted operator gives them back from here.
  const fromGrants = await readGrants(world.sides[from].client, world.tables);
  await saveGrantsOf(world, st, from, fromGrants);
  return fromGrants;
}

/**
 * A table the side taking over has no saved grants for (made there since it last served, by the
 * SchemaReplication's or the way back's additive DDL, which copy no grants; or it never served)
 * gets the serving side's: the read privileges now, the write ones saved with the rest and given at
 * the switch. Without this the application is refused on a table that moved.
 */
async function carryMissingGrants(world: World, st: CutoverStatus, from: Side, to: Side): Promise<void> {
  const saved = await savedGrantsOf(world, st.status, to);
  const known = new Set(saved.map((g) => g.table));
  const onto = world.sides[to].client;
  const names = await qualifiedNames(onto, world.tables);
  const missing = world.tables.filter((_, i) => !known.has(names[i] as string));
  if (missing.length === 0) return;
  const carried = await carryGrants(world.sides[from].client, onto, missing);
  await saveGrantsOf(world, st, to, [...saved.filter((g) => !carried.some((c) => c.table === g.table)), ...carried]);
}
