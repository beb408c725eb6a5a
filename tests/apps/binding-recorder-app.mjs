// A plain HTTP app that records every call, for input binding wire tests. It answers
// OPTIONS /unwanted with 404 and OPTIONS /notallowed with 405 (both as daprd reads them), every other
// call with 200; GET /__seen returns the calls recorded so far.
import { createServer } from 'node:http';

const seen = [];
createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  if (req.method === 'GET' && req.url === '/__seen') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(seen));
    return;
  }
  seen.push({ method: req.method, path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
  const status = req.method !== 'OPTIONS' ? 200 : req.url === '/unwanted' ? 404 : req.url === '/notallowed' ? 405 : 200;
  res.writeHead(status);
  res.end();
}).listen(Number(process.env.APP_PORT), '127.0.0.1', () => console.log('binding recorder app listening'));
