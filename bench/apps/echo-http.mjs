// App B for the benchmark: a minimal HTTP echo server. Answers every request with its body (200), and
// `GET /dapr/subscribe` with the subscriptions in SUBSCRIPTIONS (JSON) so it can serve as a subscriber;
// deliveries to /events/* are timed from the `sentAt` the publisher put in the event (epoch ms, with
// sub-ms precision) and the latencies are reported on `GET /bench/deliveries`.
// Usage: node echo-http.mjs <port>
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const port = Number(process.argv[2]);
const subscriptions = process.env.SUBSCRIPTIONS ?? '[]';
let deliveries = [];
const now = () => performance.timeOrigin + performance.now();

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url.startsWith('/events/')) {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const sentAt = event.data?.sentAt ?? event.sentAt;
      deliveries.push(now() - sentAt);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
      return;
    }
    if (req.url === '/dapr/subscribe') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(subscriptions);
      return;
    }
    if (req.url === '/bench/deliveries') {
      const body = JSON.stringify(deliveries);
      deliveries = [];
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => process.stdout.write(`listening ${port}\n`));
