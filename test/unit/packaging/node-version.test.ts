// One Node.js LTS everywhere: the image, `engines`, the launcher `npm test` and `npm run demo` use,
// and the process running this very suite (Node 20 is out of support; client-node 2.x needs 22.19).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { repoPath } from './tools.js';

function launcherVersion(): string {
  const m = /export const NODE_VERSION = '(\d+\.\d+\.\d+)'/.exec(readFileSync(repoPath('hack/node-lts.mjs'), 'utf8'));
  assert.ok(m, 'hack/node-lts.mjs names NODE_VERSION');
  return m[1] as string;
}

const major = (v: string): number => Number(v.replace(/^v/, '').split('.')[0]);

describe('the Node.js version', () => {
  it('is one supported LTS major in the image, engines and the test launcher', () => {
    const launcher = launcherVersion();
    assert.ok([22, 24].includes(major(launcher)), `launcher pins ${launcher}, not an LTS in support`);
    const image = /ARG NODE_IMAGE=node:(\d+)-/.exec(readFileSync(repoPath('Dockerfile'), 'utf8'));
    assert.equal(Number(image?.[1]), major(launcher), 'the Dockerfile base image and the launcher agree');
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as {
      engines: { node: string };
      scripts: Record<string, string>;
    };
    assert.equal(pkg.engines.node, '>=22.19', 'engines admits what client-node 2.x needs');
    for (const script of ['test', 'demo', 'bench', 'crds']) {
      assert.match(pkg.scripts[script] ?? '', /node hack\/node-lts\.mjs/, `npm run ${script} runs on the launcher's Node`);
    }
  });

  it('is the one running this suite', () => {
    assert.equal(major(process.version), major(launcherVersion()));
  });
});
