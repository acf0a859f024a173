// ESLint flat config. Layering is enforced here: shared <- engine <- service <- cli/main;
// shared <- renderer; a kind's folder (src/kinds) is shared but for its engine/ side.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

/**
 * The pure half of each kind's folder: the files directly in src/kinds/{nodes,links}/<kind>/
 * (its definition and facts) are in the shared layer; its engine/ folder is in the engine layer.
 */
const PURE_KIND_FILES = ['src/kinds/*/*/*.ts'];

/** Builds a no-restricted-imports rule that forbids importing the given layers. */
function forbid(layers, why) {
  return {
    'no-restricted-imports': [
      'error',
      {
        patterns: layers.map((l) => ({ group: [`**/${l}/**`, `**/${l}`], message: why })),
        paths: [{ name: 'electron', message: why }],
      },
    ],
  };
}

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'dist-renderer',
      'out',
      'build',
      'packages/*/build',
      'test-artifacts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    // CommonJS on purpose (scripts/loadBundle.cjs runs bundles through vm.Script; bin/ starts
    // sooner without Node's ES module loader, see bin/package.json; so does the engine bundle
    // requiring @netweave/tap).
    files: ['**/*.cjs', 'bin/**/*.js', 'packages/tap/index.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/shared/**/*.ts', ...PURE_KIND_FILES],
    rules: {
      ...forbid(
        ['engine', 'cli', 'main', 'preload', 'renderer'],
        'src/shared is pure: no engine, cli, electron or DOM layers.',
      ),
      'no-restricted-globals': ['error', 'window', 'document'],
    },
  },
  {
    files: ['src/shared/**/*.ts', ...PURE_KIND_FILES],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'src/shared must not use Node built-ins.' },
            {
              group: ['**/engine/**', '**/cli/**', '**/main/**', '**/preload/**', '**/renderer/**'],
              message: 'src/shared is the bottom layer.',
            },
          ],
          paths: [{ name: 'electron', message: 'src/shared never imports electron.' }],
        },
      ],
    },
  },
  {
    files: ['src/engine/**/*.ts', 'src/kinds/**/engine/**/*.ts'],
    rules: forbid(
      ['service', 'cli', 'main', 'preload', 'renderer'],
      'The engine imports only src/shared and never electron.',
    ),
  },
  {
    // Layers: shared <- engine <- service <- cli / main.
    files: ['src/service/**/*.ts'],
    rules: forbid(
      ['cli', 'main', 'preload', 'renderer'],
      'The service drives labs through the engine; the CLI and the desktop app use it, not the reverse.',
    ),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: forbid(
      ['main', 'preload', 'renderer'],
      'The CLI drives the engine; it never imports the desktop layers.',
    ),
  },
  {
    // TSX files are linted too (the renderer).
    files: ['**/*.tsx'],
  },
  {
    files: ['src/renderer/**/*.ts', 'src/renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a browser: no Node built-ins.' },
            {
              group: ['**/engine/**', '**/cli/**', '**/main/**', '**/preload/**'],
              message:
                'The renderer imports only src/shared; it reaches the engine through the contract.',
            },
          ],
          paths: [{ name: 'electron', message: 'The renderer never imports electron.' }],
        },
      ],
    },
  },
  {
    files: ['src/main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/**', '**/preload/**', '**/renderer/**'],
              message: 'Electron main may import src/engine and src/shared only.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The sandboxed preload has no Node built-ins.' },
            {
              group: ['**/engine/**', '**/cli/**', '**/main/**', '**/renderer/**'],
              message: 'The preload imports only src/shared and electron.',
            },
          ],
        },
      ],
    },
  },
);
