// Stand-alone entry for regenerating crds/ without the CLI: node dist/src/api/generate-main.js [dir]
import { writeCrds } from './generate.js';

for (const path of writeCrds(process.argv[2] ?? 'crds')) console.log(`wrote ${path}`);
