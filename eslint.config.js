// Lint rules that keep the pipeline honest: no floating promises (a dropped promise is a lost
// event), no import cycles, and no package reaching into another package's src/ internals.
// import-x/no-cycle skips type-only imports: circles of those, and the router's layer order, are
// checked by dependency-cruiser (.dependency-cruiser.cjs, `npm run lint:imports`).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.tap/**', '.stack/**'],
  },
  {
    // Plain JavaScript: Node scripts (.mjs: the demo's helpers, provisioning, generators, this file)
    // and the browser code of the console and the screen. ESLint's recommended rules catch the undefined names and
    // dead code that no compiler checks here.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...js.configs.recommended,
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: globals.node },
  },
  {
    files: ['alert-router/src/*/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { project: ['./*/tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: { 'import-x/resolver': { typescript: true, node: true } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      'import-x/no-cycle': ['error', { maxDepth: 10, ignoreExternal: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/schemas/src/**', '**/platform/src/**', '**/edge-gateway/src/**', '**/stream-processor/src/**', '**/alert-router/src/**', '@streetwatch/*/src/**', '@streetwatch/*/dist/**'],
              message: 'Import another package through its public entry (@streetwatch/<name>), not its internals.',
            },
          ],
        },
      ],
    },
  },
  {
    // tap queues top-level subtests itself; `t.test(...)` need not be awaited.
    files: ['**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafePromises: [{ from: 'package', name: 'PromiseWithSubtest', package: '@tapjs/core' }] },
      ],
    },
  },
);
