// Before the freeze: the way back is made ready (a rehearsal changes nothing, so it prepares nothing)
// and the grants of the side that gives up the tenant are read and saved, to be restored on its return.
import type { Side } from '../../api/index.js';
import { conninfo } from '../../postgres/connection.js';
import { readGrants, type SavedGrant } from '../../postgres/fence.js';
import { preparePath } from '../../postgres/reverse.js';
import { sentinelPublicationEntry } from '../../postgres/sentinel.js';
import { grantsForStatus } from './finish.js';
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
      publisherConninfo: conninfo(publisher.info),
      extra: [sentinelPublicationEntry(world.replication.spec.tenant)],
    });
  }
  // Saved for rehearsals too: the fence revokes the serving side's writes, and a restarted operator gives them back from here.
  const fromGrants = await readGrants(world.sides[from].client, world.tables);
  await st.persist(from === 'source' ? { savedGrants: grantsForStatus(fromGrants) } : { savedTargetGrants: grantsForStatus(fromGrants) });
  return fromGrants;
}
