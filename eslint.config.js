// Lint rules that enforce the style guide (shared STYLE.md, section 7). Formatting itself is
// Prettier's job (`.prettierrc`); `max-len` is kept because Prettier never wraps comments or
// strings, and 100 columns is a hard limit for those too.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import tseslint from 'typescript-eslint';

// The core no-warning-comments rule, registered a second time under another name: the first copy
// bans one mark anywhere in a comment, this one bans "xxx" only where a comment starts, so that
// comments can still spell SSN formats with it.
const local = { rules: { 'no-xxx-comments': builtinRules.get('no-warning-comments') } };

// Relative imports of a layer, from any depth: '../db/client', '../../crypto/fields', './durable'.
function layer(...names) {
  return `^(\\.\\.?/)+(${names.join('|')})(/|$)`;
}

function restrictImports(patterns) {
  return ['error', { patterns }];
}

// Globals of the Node scripts in scripts/ and bench/ (plain .mjs, not type-checked).
const NODE_GLOBALS = Object.fromEntries(
  [
    'AbortController',
    'AbortSignal',
    'Buffer',
    'URL',
    'URLSearchParams',
    'clearInterval',
    'clearTimeout',
    'console',
    'crypto',
    'fetch',
    'Headers',
    'process',
    'Request',
    'Response',
    'setInterval',
    'setTimeout',
    'structuredClone',
    'TextDecoder',
    'TextEncoder',
  ].map((name) => [name, 'readonly']),
);

export default defineConfig(
  {
    ignores: ['node_modules/', 'dist/', '.wrangler/', 'test-output/', 'coverage/', 'assets/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { local },
    rules: {
      'max-len': [
        'error',
        { code: 100, tabWidth: 2, ignoreUrls: true, ignoreRegExpLiterals: false },
      ],
      'no-warning-comments': ['error', { terms: ['fixme'], location: 'anywhere' }],
      'local/no-xxx-comments': ['error', { terms: ['xxx'], location: 'start' }],
      // Input sanitising matches control characters on purpose (routes/schemas.ts).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: NODE_GLOBALS },
  },
  // The one script that runs in the /docs page rather than in Node.
  {
    files: ['scripts/docs-style-nonce.js'],
    languageOptions: { globals: { document: 'readonly', Document: 'readonly' } },
  },

  // Logging goes through lib/log.ts, which alone may write to the console.
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['src/lib/log.ts'],
    rules: { 'no-console': ['error', { allow: ['info', 'warn', 'error'] }] },
  },

  // Imports point one way: routes → services → {db, crypto, durable}.
  {
    files: ['src/routes/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports([
        {
          regex: layer('db', 'crypto', 'durable'),
          message: 'Routes reach storage and crypto only through a service (src/services).',
        },
        {
          regex: '^drizzle-orm(/|$)',
          message: 'Routes do not query the database; call a service.',
        },
      ]),
    },
  },
  {
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports([
        {
          regex: layer('routes', 'middleware'),
          message: 'Services are called by routes, never the other way round.',
        },
        {
          regex: '^hono(/|$)',
          message: 'Services hold business rules and take no Hono types.',
        },
      ]),
    },
  },
  {
    files: ['src/{db,crypto,durable,lib,errors}/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports([
        {
          regex: layer('routes', 'middleware', 'services'),
          message: 'Lower layers (db, crypto, durable, lib, errors) never import upper ones.',
        },
      ]),
    },
  },
  {
    files: ['src/middleware/**/*.ts'],
    rules: {
      'no-restricted-imports': restrictImports([
        { regex: layer('routes'), message: 'Middleware does not depend on route modules.' },
      ]),
    },
  },

  // No focused or skipped tests can reach main.
  {
    files: ['test/**/*.ts'],
    rules: {
      // Response helpers default their body type to `any` so tests read fields directly.
      '@typescript-eslint/no-explicit-any': 'off',
      // Money tests feed unsafe integers such as 9007199254740993 on purpose.
      'no-loss-of-precision': 'off',
      'no-restricted-properties': [
        'error',
        ...['describe', 'it', 'test'].flatMap((object) =>
          ['only', 'skip', 'todo'].map((property) => ({
            object,
            property,
            message: `${object}.${property} must not be committed.`,
          })),
        ),
      ],
    },
  },
);
