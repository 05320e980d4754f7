// Builds the browser script of the /docs reference page into the Worker's static-asset folder,
// which is git-ignored: scripts/docs-style-nonce.js followed by Scalar's standalone bundle from
// node_modules. The page loads it from the Worker itself, so /docs works without a CDN. Run by
// postinstall and before dev, test and build, since wrangler refuses a missing asset folder.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Served at /docs/assets/scalar-api-reference.js: DOCS_SCRIPT_PATH in src/routes/docs.ts.
const target = join(root, 'assets', 'docs', 'assets', 'scalar-api-reference.js');
const prelude = join(root, 'scripts', 'docs-style-nonce.js');
const bundle = join(root, 'node_modules', '@scalar', 'api-reference', 'dist', 'browser');

mkdirSync(dirname(target), { recursive: true });

if (!existsSync(join(bundle, 'standalone.js'))) {
  // An install without devDependencies (a production deploy) has no bundle; /docs is off there.
  console.warn('vendor-docs: @scalar/api-reference is not installed; /docs will have no script.');
  process.exit(0);
}

const script = Buffer.concat([
  readFileSync(prelude),
  Buffer.from('\n'),
  readFileSync(join(bundle, 'standalone.js')),
]);
if (!existsSync(target) || !readFileSync(target).equals(script)) writeFileSync(target, script);
