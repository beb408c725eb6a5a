// A plain HTTP subscriber app for pub/sub wire tests. It subscribes with the JSON in $SUBSCRIPTIONS,
// records every delivery (GET /received), and answers as each event's data asks:
//   {"want": "RETRY"|"DROP", "times": n}  answers that status for the first n deliveries (all if no n)
//   {"http": 500, "times": n}             answers that HTTP status instead
//   {"delayMs": n}                        answers after n ms (GET /stats reports the most deliveries at once)
// Deliveries are counted per data.id (or the CloudEvent id).
import { createServer } from 'node:http';

const port = Number(process.env.APP_PORT);
const subscriptions = process.env.SUBSCRIPTIONS ?? '[]';
const received = [];
const counts = new Map();
let inFlight = 0;
let maxInFlight = 0;

function dataOf(event) {
  if (event && typeof event === 'object' && 'data' in event) return event.data;
  if (event && typeof event.data_base64 === 'string') {
    const text = Buffer.from(event.data_base64, 'base64').toString('utf8');
    try { return JSON.parse(text); } catch { return text; }
  }
  return undefined;
}

/** The answer for one event: an HTTP status and a status word. */
function answerFor(event) {
  const data = dataOf(event);
  const key = (data && typeof data === 'object' && data.id) || event?.id;
  const count = (counts.get(key) ?? 0) + 1;
  counts.set(key, count);
  const active = data && typeof data === 'object' && (data.times === undefined || count <= data.times);
  if (active && data.http) return { http: data.http, word: undefined };
  if (active && data.want) return { http: 200, word: data.want };
  return { http: 200, word: 'SUCCESS' };
}

createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (req.method === 'GET' && req.url === '/dapr/subscribe') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(subscriptions);
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ maxInFlight }));
  }
  if (req.method === 'GET' && req.url === '/received') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(received));
  }
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  received.push({ path: req.url, headers: req.headers, body });
  if (body && body.type === 'com.dapr.event.sent.bulk') {
    const statuses = body.entries.map((entry) => {
      const event = entry.contentType === 'application/octet-stream'
        ? { id: entry.entryId, data_base64: entry.event }
        : entry.event;
      const answer = answerFor(event);
      return { entryId: entry.entryId, status: answer.http === 200 ? answer.word : 'RETRY' };
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ statuses }));
  }
  const answer = answerFor(body);
  const delayMs = Number(dataOf(body)?.delayMs ?? 0);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  inFlight--;
  res.writeHead(answer.http, { 'content-type': 'application/json' });
  res.end(answer.http === 200 ? JSON.stringify({ status: answer.word }) : '{}');
}).listen(port, '127.0.0.1', () => console.log(`pubsub recorder listening on ${port}`));
