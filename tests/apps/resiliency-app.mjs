// A plain HTTP app for resiliency tests. Every call is counted per key (GET /calls/<key> reads it).
//   /fail/<key>?status=500&times=n   answers `status` for the first n calls of that key (all calls without n), then 200
//   /fail/<key>/<n>/<status>         the same, without a query string (gRPC InvokeService callers)
//   /slow/<key>?ms=n                 answers 200 after n ms
//   /mode/<key>                      answers as the key's mode says: PUT /modes/<key> with body "fail" or "ok"
// OPTIONS calls (the input binding probe) answer 200 and are not counted.
import { createServer } from 'node:http';

const port = Number(process.env.APP_PORT);
const calls = new Map();
const modes = new Map();

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const url = new URL(req.url ?? '/', 'http://app');
  const [, kind, key = '', timesInPath, statusInPath] = url.pathname.split('/');
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-app-answer': 'yes' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'OPTIONS') return send(200, {});
  if (req.method === 'GET' && kind === 'calls') return send(200, { calls: calls.get(key) ?? 0 });
  if (req.method === 'PUT' && kind === 'modes') {
    modes.set(key, Buffer.concat(chunks).toString('utf8'));
    return send(200, { mode: modes.get(key) });
  }
  const count = (calls.get(key) ?? 0) + 1;
  calls.set(key, count);
  if (kind === 'fail') {
    const times = timesInPath ?? url.searchParams.get('times');
    const failing = times === null || count <= Number(times);
    const status = Number(statusInPath ?? url.searchParams.get('status') ?? 500);
    return failing ? send(status, { failure: count }) : send(200, { ok: count, body: Buffer.concat(chunks).toString('utf8') });
  }
  if (kind === 'slow') {
    await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? 1000)));
    return send(200, { ok: count });
  }
  if (kind === 'mode') return modes.get(key) === 'fail' ? send(500, { failure: count }) : send(200, { ok: count });
  send(404, { unknown: url.pathname });
}).listen(port, '127.0.0.1', () => console.log(`resiliency app listening on ${port}`));
