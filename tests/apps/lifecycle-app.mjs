// A plain HTTP app for lifecycle tests.
//   HEALTHY_AFTER_MS  GET /health answers 500 until this long after start, then 200
//   START_UNHEALTHY   "1": GET /health answers 500 until POST /set-health?ok=1 (GET /log tells when)
//   SUBSCRIPTIONS     the answer to GET /dapr/subscribe
//   HANDLER_MS        POST /work takes this long, then appends data.id to $LEDGER and answers SUCCESS
//   STARTED_LEDGER    POST /work appends data.id there when it starts handling it
//   DEAD_LEDGER       POST /dead appends data.id there (dead-lettered messages)
//   BUSY_FOR_MS       GET /busy answers {"busy": true} until this long after its first call ("forever": always)
// POST /set-health?ok=0|1 forces the health answer from then on.
// GET /log lists every other request with its time (probes are not listed).
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const started = Date.now();
const log = [];
let firstBusyCall;
let forcedHealth = process.env.START_UNHEALTHY === '1' ? false : undefined;
let healthyAt;

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (req.url?.startsWith('/set-health')) {
    forcedHealth = new URL(req.url, 'http://app').searchParams.get('ok') === '1';
    if (forcedHealth) healthyAt ??= Date.now();
    return json(res, 200, { forcedHealth });
  }
  if (req.url === '/health') {
    const healthy = forcedHealth ?? Date.now() - started >= Number(process.env.HEALTHY_AFTER_MS ?? 0);
    return json(res, healthy ? 200 : 500, {});
  }
  if (req.url === '/busy') {
    firstBusyCall ??= Date.now();
    const busyFor = process.env.BUSY_FOR_MS ?? '0';
    return json(res, 200, { busy: busyFor === 'forever' || Date.now() - firstBusyCall < Number(busyFor) });
  }
  if (req.url === '/log') return json(res, 200, { started, healthyAt, entries: log });
  log.push({ at: Date.now(), method: req.method, url: req.url });
  if (req.url === '/dapr/subscribe') return json(res, 200, JSON.parse(process.env.SUBSCRIPTIONS ?? '[]'));
  if (req.url === '/work' || req.url === '/dead') {
    const event = JSON.parse(text);
    if (req.url === '/work' && process.env.STARTED_LEDGER) appendFileSync(process.env.STARTED_LEDGER, `${event.data.id}\n`);
    if (req.url === '/work') await new Promise((resolve) => setTimeout(resolve, Number(process.env.HANDLER_MS ?? 0)));
    const ledger = req.url === '/work' ? process.env.LEDGER : process.env.DEAD_LEDGER;
    if (ledger) appendFileSync(ledger, `${event.data.id}\n`);
    return json(res, 200, { status: 'SUCCESS' });
  }
  json(res, 200, { ok: true });
}).listen(Number(process.env.APP_PORT), '127.0.0.1', () => console.log('lifecycle app listening'));
