/**
 * The rules the layout keeps (ARCHITECTURE.md, "Who may import whom"), checked by `npm run lint`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const FOLDERS = '(agent-service|bench|dashboard|doctor|ld|llm-sim|producer|readout|start|worker)';
const TESTS = ['^test/', '\\.test\\.ts$'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules form no import cycle.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-imports-only-shared',
      comment: 'shared/ is what the processes share: it imports nothing of theirs.',
      severity: 'error',
      from: { path: '^shared/', pathNot: TESTS },
      to: { path: [`^${FOLDERS}/`, '^test/', '^(cli|lib)\\.ts$'] },
    },
    {
      name: 'folders-meet-at-their-index',
      comment: "A folder uses another folder's code through that folder's index.ts only.",
      severity: 'error',
      from: { path: `^${FOLDERS}/`, pathNot: TESTS },
      to: { path: `^${FOLDERS}/`, pathNot: ['^$1/', `^${FOLDERS}/index\\.ts$`] },
    },
    {
      name: 'shared-libraries-meet-at-their-index',
      comment: 'shared/llm and shared/kb are used from outside through their index.ts only.',
      severity: 'error',
      from: { path: '^(?!shared/(llm|kb)/)', pathNot: TESTS },
      to: { path: '^shared/(llm|kb)/', pathNot: '^shared/(llm|kb)/index\\.ts$' },
    },
    {
      name: 'entry-points-use-indexes-and-commands',
      comment:
        "cli.ts registers each folder's commands; lib.ts (the scripting API) uses folders through their index.",
      severity: 'error',
      from: { path: '^(cli|lib)\\.ts$' },
      to: { path: `^${FOLDERS}/`, pathNot: `^${FOLDERS}/(index|[a-z-]*command)\\.ts$` },
    },
    {
      name: 'no-tests-in-code',
      comment: 'Code that ships never imports a test or a test helper.',
      severity: 'error',
      from: { pathNot: TESTS },
      to: { path: TESTS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
