// The process entry point: what the launcher (bin/openwif.js) imports, and what the build bundles.
import { main } from './main.ts';

// A reader that stops early (`openwif issuers list | head -3`) closes our stdout: done, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

await main(process.argv);
