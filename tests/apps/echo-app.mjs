// A plain HTTP app that answers every call with what it received, for invocation tests.
// `?status=NNN` picks the answer's status; the answer carries an `x-echo-app` header.
// `?download=N` answers N bytes instead (byte i is i % 251), chunked in 64 KiB writes with no length.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';

const port = Number(process.env.APP_PORT);
createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const url = new URL(req.url, 'http://app');
  const status = Number(url.searchParams.get('status') ?? 200);
  const download = Number(url.searchParams.get('download') ?? 0);
  if (download > 0) {
    res.writeHead(status, { 'content-type': 'application/octet-stream', 'x-echo-app': String(process.env.APP_ID) });
    for (let sent = 0; sent < download;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, download - sent));
      for (let index = 0; index < chunk.length; index++) chunk[index] = (sent + index) % 251;
      sent += chunk.length;
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
    return;
  }
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
