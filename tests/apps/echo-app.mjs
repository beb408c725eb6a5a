// A plain HTTP app that answers every call with what it received, for invocation tests.
// `?status=NNN` picks the answer's status; the answer carries an `x-echo-app` header.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

const port = Number(process.env.APP_PORT);
createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url, 'http://app');
  const status = Number(url.searchParams.get('status') ?? 200);
  const payload = JSON.stringify({
    appId: process.env.APP_ID,
    method: req.method,
    path: url.pathname,
    rawUrl: req.url,
    query: Object.fromEntries(url.searchParams),
    headers: req.headers,
    bodyLength: body.length,
    bodySha256: createHash('sha256').update(body).digest('hex'),
    bodyText: body.length <= 4096 ? body.toString('utf8') : undefined,
  });
  res.writeHead(status, { 'content-type': 'application/json', 'x-echo-app': String(process.env.APP_ID) });
  res.end(req.method === 'HEAD' ? undefined : payload);
}).listen(port, '127.0.0.1', () => console.log(`echo app listening on ${port}`));
