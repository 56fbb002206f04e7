import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';

/**
 * The console's static files, read once when the routes are registered and served from our
 * own origin (CSP `'self'`): the stylesheet, the icon and htmx from node_modules. No CDN.
 */
export interface ConsoleAsset {
  path: string;
  contentType: string;
  body: Buffer;
}

export async function loadConsoleAssets(): Promise<ConsoleAsset[]> {
  const htmx = createRequire(import.meta.url).resolve('htmx.org/dist/htmx.min.js');
  return [
    { path: '/assets/console.css', contentType: 'text/css; charset=utf-8', body: await readFile(new URL('./assets/console.css', import.meta.url)) },
    { path: '/assets/favicon.svg', contentType: 'image/svg+xml', body: await readFile(new URL('./assets/favicon.svg', import.meta.url)) },
    { path: '/assets/htmx.min.js', contentType: 'text/javascript; charset=utf-8', body: await readFile(htmx) },
  ];
}

export function serveAsset(scope: FastifyInstance, asset: ConsoleAsset): void {
  scope.get(asset.path, async (_request, reply) => {
    return reply.type(asset.contentType).header('cache-control', 'public, max-age=300').send(asset.body);
  });
}
