// The standard load tools: wrk (max throughput, closed loop), hey (fixed rate: -q is per worker, so
// 16 workers at 62.5 QPS make 1,000 requests/s; each worker waits for its answer, so a slow answer
// delays that worker's next request — the coordinated omission wrk2 corrects and hey does not),
// redis-benchmark (Redis's own figure), nginx (the two-hop proxy baseline). Installed with apt-get
// when missing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Child, runTool, writeFile } from './processes.mjs';

const packages = { wrk: 'wrk', hey: 'hey', nginx: 'nginx-light', 'redis-benchmark': 'redis-tools' };

export function has(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' }).status === 0;
}

export function toolPath(tool) {
  return spawnSync('sh', ['-c', `command -v ${tool} || echo /usr/sbin/${tool}`], { encoding: 'utf8' }).stdout.trim();
}

/** Installs the missing tools with apt-get (one `apt-get update` first); returns the ones still missing. */
export function ensureTools(tools = Object.keys(packages)) {
  const missing = tools.filter((tool) => !has(tool));
  if (missing.length > 0) {
    console.log(`installing ${missing.map((tool) => packages[tool]).join(', ')} with apt-get`);
    const asRoot = process.getuid?.() === 0 ? [] : ['sudo'];
    const run = (args) => spawnSync(asRoot[0] ?? args[0], asRoot.length ? args : args.slice(1), { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing.map((tool) => packages[tool])]);
  }
  return tools.filter((tool) => !has(tool));
}

export function toolVersions() {
  const version = (command, args) => {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    return `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').find((line) => line.trim() !== '')?.trim() ?? 'unknown';
  };
  return {
    wrk: version('wrk', ['-v']).replace(/\s+Copyright.*/, ''),
    hey: 'hey (Debian package; prints no version)',
    nginx: has('nginx') ? version(toolPath('nginx'), ['-v']) : 'missing',
    'redis-benchmark': version('redis-benchmark', ['--version']),
  };
}

const unitMs = { us: 0.001, ms: 1, s: 1_000, m: 60_000 };

/** Parses wrk's --latency report. */
export function parseWrk(text) {
  const latency = {};
  for (const match of text.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm)) latency[`p${match[1]}`] = Number(match[2]) * unitMs[match[3]];
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  return { rate, requests, errors, ...latency };
}

/** Parses hey's CSV output (one line per request, response time in seconds) into latencies in ms. */
export function parseHeyCsv(text) {
  const latencies = [];
  let errors = 0;
  for (const line of text.split('\n').slice(1)) {
    const fields = line.split(',');
    if (fields.length < 8) continue;
    if (fields[6] !== '200' && fields[6] !== '204') errors++;
    else latencies.push(Number(fields[0]) * 1_000);
  }
  return { latencies, errors };
}

function luaString(text) {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * wrk, closed loop: `connections` connections on one thread, each sending its next request when the last
 * answered. `body` and `headers` make every request a POST with that body.
 */
export async function wrk(url, { connections, seconds, body, headers = {}, method = body ? 'POST' : 'GET', workDir }) {
  const script = writeFile(join(workDir, `wrk-${Math.random().toString(36).slice(2)}.lua`), [
    `wrk.method = "${method}"`,
    body !== undefined ? `wrk.body = ${luaString(body)}` : '',
    ...Object.entries(headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`),
  ].join('\n'));
  const text = await runTool('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '10s', '-s', script, url], (seconds + 30) * 1_000);
  return parseWrk(text);
}

/**
 * hey at a fixed total rate: `connections` workers, each at rate/connections requests/s, for `seconds`.
 * Returns every request's latency (ms, 0.1 ms resolution as hey prints it).
 */
export async function hey(url, { connections, rate, seconds, bodyFile, contentType = 'application/octet-stream', method = bodyFile ? 'POST' : 'GET', headers = {} }) {
  const args = ['-z', `${seconds}s`, '-c', String(connections), '-q', String(rate / connections), '-m', method, '-o', 'csv', '-T', contentType];
  if (bodyFile) args.push('-D', bodyFile);
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  args.push(url);
  const text = await runTool('hey', args, (seconds + 30) * 1_000);
  return parseHeyCsv(text);
}

/** redis-benchmark GET/SET with `size`-byte values: requests per second and p50 latency per command. */
export async function redisBenchmark({ requests, clients, size, port = 6379 }) {
  const text = await runTool('redis-benchmark', ['-h', '127.0.0.1', '-p', String(port), '-t', 'get,set', '-n', String(requests), '-c', String(clients), '-d', String(size), '--csv'], 120_000);
  const rows = {};
  const lines = text.trim().split('\n');
  const header = lines[0].split(',').map((cell) => cell.replace(/"/g, ''));
  for (const line of lines.slice(1)) {
    const cells = line.split(',').map((cell) => cell.replace(/"/g, ''));
    const row = Object.fromEntries(header.map((name, index) => [name, cells[index]]));
    rows[row.test] = { rate: Number(row.rps), p50: Number(row.p50_latency_ms), p99: Number(row.p99_latency_ms) };
  }
  return rows;
}

/**
 * An nginx config of proxy hops with upstream keep-alive, `workers` worker processes, its pid, logs and
 * temp files under `dir`; `hops` are { listen, upstream } port pairs on loopback. `workers` 0 runs
 * without a master: the one process started serves the requests (so valgrind, which cannot be reached
 * in a forked worker, measures the proxying process).
 */
function nginxConfig(dir, workers, hops) {
  return writeFile(join(dir, 'nginx.conf'), `
${workers === 0 ? 'master_process off;' : `worker_processes ${workers};`}
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'nginx-body')};
  proxy_temp_path ${join(dir, 'nginx-proxy')};
  fastcgi_temp_path ${join(dir, 'nginx-fastcgi')};
  uwsgi_temp_path ${join(dir, 'nginx-uwsgi')};
  scgi_temp_path ${join(dir, 'nginx-scgi')};
  keepalive_requests 1000000;
${hops.map(({ listen, upstream }) => `  upstream up${listen} { server 127.0.0.1:${upstream}; keepalive 128; }
  server {
    listen 127.0.0.1:${listen};
    location / { proxy_pass http://up${listen}; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; }
  }`).join('\n')}
}
`);
}

/**
 * nginx as two proxy hops in front of `appPort` (hop A → hop B → app), upstream keep-alive on both hops:
 * one nginx with two worker processes, either of which serves either hop. Returns the nginx child.
 */
export async function startNginxTwoHops({ appPort, frontPort, middlePort, workDir }) {
  const config = nginxConfig(workDir, 2, [{ listen: frontPort, upstream: middlePort }, { listen: middlePort, upstream: appPort }]);
  return new Child(toolPath('nginx'), ['-c', config, '-e', join(workDir, 'nginx-error.log')], { name: 'nginx' });
}

/**
 * One nginx proxy hop with a single worker process, `listenPort` → `upstreamPort` with upstream
 * keep-alive: two of them make two hops in two processes, as two sidecars are. Returns the nginx child.
 * `prefix` (valgrind) runs it without a master, so the child is the process that proxies.
 */
export function startNginxHop({ listenPort, upstreamPort, workDir, prefix }) {
  const dir = join(workDir, `nginx-hop-${listenPort}`);
  const config = nginxConfig(dir, prefix ? 0 : 1, [{ listen: listenPort, upstream: upstreamPort }]);
  return new Child(toolPath('nginx'), ['-c', config, '-e', join(dir, 'nginx-error.log')], { name: `nginx hop ${listenPort}`, prefix });
}
