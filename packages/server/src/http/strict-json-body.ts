import type { FastifyInstance } from 'fastify';
import { badRequest } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies must be valid UTF-8 (the default parser would turn bad bytes into U+FFFD and store
 * them) and free of NUL characters (PostgreSQL text cannot hold them). Parsing itself stays
 * Fastify's, with its prototype-poisoning protection.
 */
export function installStrictJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(badRequest('Request body is not valid UTF-8.'), undefined);
      return;
    }
    if (text.includes('\\u0000')) {
      done(badRequest('Request body must not contain NUL (\\u0000) characters.'), undefined);
      return;
    }
    parse(request, text, done);
  });
}
