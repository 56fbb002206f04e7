import { createServer, type Server } from 'node:http';
import { pipeline } from 'node:stream';
import { ClientWatch } from '../upstream.ts';
import { StandInUpstream } from './stand-in-upstream.ts';

/**
 * The stand-in model as a plain HTTP server (for tests and demos: point OPENWIF_UPSTREAM_URL
 * at it). It checks nothing about credentials: it is a dev tool, bind it to loopback.
 */
export function createStandInServer(): Server {
  const upstream = new StandInUpstream();
  return createServer((req, res) => {
    const client = new ClientWatch();
    res.once('close', () => client.markGone());
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    upstream
      .send({
        method: req.method ?? 'GET',
        pathAndQuery: req.url ?? '/',
        headers: req.headers,
        body: hasBody ? req : null,
        apiKey: null,
        client,
      })
      .then((answer) => {
        res.writeHead(answer.status, answer.headers);
        pipeline(answer.body, res, () => undefined);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"type":"error","error":{"type":"api_error","message":"stand-in failure"},"request_id":null}');
      });
  });
}
