// Production build: bundles the CLI, with the server and its dependencies, into one file,
// dist/openwif.js (run as `node dist/openwif.js serve`, or through bin/openwif.js, which picks it
// while it is newer than the sources and runs the TypeScript through tsx otherwise).
// Why: `openwif serve` loads ~2 100 modules (224 of them ours); resolving them one by one, not
// our code, is most of its start-up from source (docs/design.md, "Build and launch").
//
//   node --import tsx scripts/build.ts [out-dir]      (default: dist/ next to src/)
import { build } from 'esbuild';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Bundles each entry point (output name → source file), with what it imports, into `<outDir>/<name>.js`. */
export async function bundleForNode(entryPoints: Record<string, string>, outDir: string): Promise<void> {
  await build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    // A native addon, and pg's optional native binding, are loaded from node_modules at run time.
    external: ['better-sqlite3', 'pg-native'],
    // CommonJS dependencies bundled into an ES module still call require() for node's built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

/** The `openwif` command, started by running `<outDir>/openwif.js`. */
export async function buildOpenWif(outDir: string): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  await bundleForNode(
    {
      openwif: `${ROOT}src/cli/run.ts`,
      // Started as worker threads from next to the bundle (storage/sql/sqlite-writer-thread.ts).
      'sqlite-writer.worker': `${ROOT}src/storage/sql/sqlite-writer.worker.ts`,
      'sqlite-checkpointer.worker': `${ROOT}src/storage/sql/sqlite-checkpointer.worker.ts`,
    },
    outDir,
  );
  // The console serves its stylesheet and icon from next to the module that reads them.
  cpSync(`${ROOT}src/console/assets/`, `${outDir}/assets/`, { recursive: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildOpenWif(process.argv[2] ?? `${ROOT}dist`);
