// A baseline for the sidecar hop: the least a Node forwarding proxy does. node:http server, one undici
// Pool to the next hop, small bodies read whole, status and content-type passed back. No routing,
// metrics, resiliency or header rules, so the sidecars' CPU per request can be set against it.
// Usage: node bare-proxy.mjs <port> <next-hop origin>
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [port, target] = [Number(process.argv[2]), process.argv[3]];
const pool = new Pool(target, { connections: 128, keepAliveTimeout: 60_000 });

createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const answer = await pool.request({
        method: req.method, path: req.url, body: Buffer.concat(chunks),
        headers: { 'content-type': req.headers['content-type'] ?? 'application/octet-stream' },
      });
      const body = Buffer.from(await answer.body.arrayBuffer());
      res.writeHead(answer.statusCode, { 'content-type': answer.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(body);
    } catch (error) {
      res.writeHead(502).end(String(error));
    }
  });
}).listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => process.exit(0));
