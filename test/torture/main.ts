// `npm run torture`: the torture campaign on its own local stack (it restarts servers, so never the
// stack of `npm test`). `--moves N` moves from a seed (printed; `--seed` to choose it), `--resume` to
// go on with the journal's campaign, `--replay <seed>@<side>` to run one move that failed again.
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { devDown, devUp } from '../../src/devstack/stack.js';
import { packageRoot } from '../../src/devstack/paths.js';
import { hex, newJournal, readJournal, runCampaign, type Journal } from './campaign.js';
import type { Side } from './draw.js';

interface Options {
  moves: number;
  seed?: number;
  resume?: boolean;
  replay?: { seed: number; from: Side };
  journal: string;
  stateDir: string;
}

function seedArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('a seed is an integer from 0 to 0xffffffff');
  return n;
}

function replayArg(v: string): { seed: number; from: Side } {
  const [seed, from] = v.split('@');
  if (!seed || (from !== 'source' && from !== 'target')) throw new InvalidArgumentError('expected <seed>@source or <seed>@target');
  return { seed: seedArg(seed), from };
}

function movesArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--moves is a positive integer');
  return n;
}

function options(): Options {
  const root = packageRoot();
  const program = new Command('torture')
    .description('Randomized moves under three workloads with faults at random; every invariant checked after every move')
    .option('--moves <n>', 'moves in this run', movesArg, 30)
    .option('--seed <seed>', 'campaign seed (default: random, printed)', seedArg)
    .option('--resume', 'go on with the campaign in the journal (its seed, its count)')
    .option('--replay <seed@side>', 'run the one move of this seed, from this side (as a failure printed it)', replayArg)
    .option('--journal <file>', 'campaign journal', join(root, '.tenantshift', 'torture-journal.json'))
    .option('--state-dir <dir>', 'state directory of the torture stack', join(root, '.tenantshift', 'torture'))
    .parse(process.argv);
  return program.opts<Options>();
}

function startingJournal(o: Options): Journal {
  if (o.replay) return newJournal(o.replay.seed);
  if (o.resume) {
    const kept = readJournal(o.journal);
    if (!kept) throw new Error(`--resume: no journal at ${o.journal}; start a campaign without --resume first`);
    return kept;
  }
  return newJournal(o.seed ?? randomInt(0, 0xffffffff));
}

async function main(): Promise<number> {
  const o = options();
  const stateDir = resolve(o.stateDir);
  process.env.TENANTSHIFT_TEST_STATE_DIR = stateDir;
  const journal = startingJournal(o);
  const journalFile = o.replay ? join(stateDir, 'replay-journal.json') : resolve(o.journal);
  mkdirSync(dirname(journalFile), { recursive: true });
  console.log(
    o.replay
      ? `torture: replaying seed ${hex(o.replay.seed)} from the ${o.replay.from}`
      : `torture: campaign seed ${hex(journal.campaignSeed)}, ${o.moves} move(s) after the ${journal.moves} in ${journalFile}`,
  );
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void devDown(stateDir).finally(() => process.exit(130)));
  await devDown(stateDir);
  let ok = false;
  try {
    await devUp({ stateDir, withOperator: false });
    mkdirSync(join(stateDir, 'logs'), { recursive: true });
    ok = await runCampaign({ journalFile, journal, moves: o.moves, ...(o.replay ? { replay: o.replay } : {}) });
  } finally {
    await devDown(stateDir);
  }
  const faults = Object.entries(journal.faultsByKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(
    `torture: ${ok ? 'every invariant held' : 'an invariant broke'}; ${journal.moves} move(s) in the campaign (${faults}); ` +
      `journal ${journalFile}`,
  );
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`torture: ${(err as Error).message}`);
    process.exit(1);
  },
);
