// crds/ must be exactly what src/api renders: the CRDs users apply are the ones the code describes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { GROUP } from '../../../src/api/common.js';
import { renderCrds } from '../../../src/api/generate.js';

const STALE = 'crds/ is stale: run `npm run crds`';

// dist/ has a package.json copy when something imports it, but never a tsconfig.json.
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
  return dir;
}

describe('crds/ freshness', () => {
  const crdsDir = join(repoRoot(), 'crds');
  const rendered = renderCrds();

  it('holds exactly one file per kind and no leftovers', () => {
    const onDisk = existsSync(crdsDir) ? readdirSync(crdsDir).filter((f) => f.startsWith(`${GROUP}_`)) : [];
    assert.deepEqual(onDisk.sort(), rendered.map((crd) => crd.file).sort(), STALE);
  });

  for (const crd of rendered) {
    it(`${crd.file} matches src/api byte for byte`, () => {
      const path = join(crdsDir, crd.file);
      assert.ok(existsSync(path), `${STALE} (${crd.file} is missing)`);
      // Compared as booleans first so a mismatch prints the hint, not two 400-line strings.
      assert.ok(readFileSync(path, 'utf8') === crd.yaml, `${STALE} (${crd.file} differs)`);
    });

    it(`${crd.file} reads the same to YAML 1.1 parsers (kubectl, sigs.k8s.io/yaml)`, () => {
      assert.deepEqual(parse(crd.yaml, { version: '1.1' }), parse(crd.yaml));
    });
  }
});
