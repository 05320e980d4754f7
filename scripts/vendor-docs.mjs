// Copies the browser bundle of the /docs reference page (Scalar's standalone build) from
// node_modules into the Worker's static-asset folder, which is git-ignored. The page loads it
// from the Worker itself, so /docs works without a CDN. Run by postinstall and before dev, test
// and build, because wrangler refuses to start when the asset folder is missing.
import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The served path is /docs/assets/scalar-api-reference.js (DOCS_SCRIPT_PATH in src/routes/docs.ts).
const target = join(root, 'assets', 'docs', 'assets', 'scalar-api-reference.js');

mkdirSync(dirname(target), { recursive: true });

const source = join(
  root,
  'node_modules',
  '@scalar',
  'api-reference',
  'dist',
  'browser',
  'standalone.js',
);
if (!existsSync(source)) {
  // An install without devDependencies (a production deploy) has no bundle; /docs is off there.
  console.warn('vendor-docs: @scalar/api-reference is not installed; /docs will have no script.');
  process.exit(0);
}

const isCurrent =
  existsSync(target) &&
  statSync(target).size === statSync(source).size &&
  statSync(target).mtimeMs >= statSync(source).mtimeMs;
if (!isCurrent) copyFileSync(source, target);
