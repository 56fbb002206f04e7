// Baseline (a): the ceiling. A JSON POST route on the same HTTP stack (fastify 5), doing nothing.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/oauth/token', async (request) => ({ ok: true, size: JSON.stringify(request.body).length }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on ${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
