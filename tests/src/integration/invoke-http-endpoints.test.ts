// Service invocation of endpoints outside Dapr: an HTTPEndpoint resource's name, or a URL, as the target,
// through a real sidecar to plain Node HTTP and HTTPS servers that stand for the external services. The
// caller is plain HTTP and the official SDK's DaprClient over gRPC (InvokeService), as users call it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { componentYaml } from '../harness/component-yaml.js';
import { call, errorOf, postExpectingContinue } from '../harness/http.js';
import { cliMain, freePort, Spawned, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

/** What the external service saw of one request. */
interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly bodySha: string;
  readonly bodyText: string;
}

/** Answers every request with what it saw; `/status/<n>` answers n, `/flaky/<key>` 503 twice per key before 200. */
function recordingHandler(seen: Seen[], flaky: Map<string, number>) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodySha: createHash('sha256').update(body).digest('hex'), bodyText: body.length < 4096 ? body.toString() : '' };
      seen.push(entry);
      const statusMatch = /^\/(?:base\/)?status\/(\d+)/.exec(entry.url);
      const flakyKey = /\/flaky\/(\w+)/.exec(entry.url)?.[1];
      let status = statusMatch ? Number(statusMatch[1]) : 200;
      if (flakyKey) {
        const failures = flaky.get(flakyKey) ?? 0;
        flaky.set(flakyKey, failures + 1);
        status = failures < 2 ? 503 : 200;
      }
      res.writeHead(status, { 'content-type': 'application/json', 'x-external': 'yes' });
      res.end(JSON.stringify(entry));
    });
  };
}

/** One GET of a request target exactly as given; the answer's status. */
function rawGet(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: '127.0.0.1', port, path: target, method: 'GET', agent: false }, (answer) => {
      answer.resume();
      answer.once('end', () => resolve(answer.statusCode ?? 0));
    });
    sent.once('error', reject);
    sent.end();
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** A CA, a server certificate for 127.0.0.1 it signed, and a client certificate it signed, made with openssl. */
function makeCertificates(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=outrigger-test-ca');
  writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, subject, ext] of [['server', '/CN=127.0.0.1', ['-extfile', 'server.ext']], ['client', '/CN=outrigger-client', []]] as const) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...ext);
  }
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  return { ca: read('ca.pem'), serverCert: read('server.pem'), serverKey: read('server.key'), clientCert: read('client.pem'), clientKey: read('client.key') };
}

/** One HTTPEndpoint; `specRest` is YAML for its spec after baseUrl, indented two spaces, then any top-level fields. */
function endpointYaml(name: string, baseUrl: string, specRest = '', topLevel = ''): string {
  return `---\napiVersion: dapr.io/v1alpha1\nkind: HTTPEndpoint\nmetadata:\n  name: ${name}\nspec:\n  baseUrl: ${baseUrl}\n${specRest}${topLevel}`;
}

function resourcesYaml(ports: { plain: number; secure: number }, secretsFile: string): string {
  const secretRef = (name: string) => `secretKeyRef: { name: ${name}, key: ${name} }`;
  return [
    endpointYaml('ext', `http://127.0.0.1:${ports.plain}/base`,
      `  headers:\n  - name: Authorization\n    ${secretRef('ext-token')}\n  - name: X-Declared\n    value: from-the-endpoint\n`, 'auth:\n  secretStore: files\n'),
    endpointYaml('secure', `https://127.0.0.1:${ports.secure}`,
      `  clientTLS:\n    rootCA:\n      ${secretRef('ca')}\n    certificate:\n      ${secretRef('client-cert')}\n    privateKey:\n      ${secretRef('client-key')}\n`,
      'auth:\n  secretStore: files\n'),
    endpointYaml('flaky-ext', `http://127.0.0.1:${ports.plain}`),
    endpointYaml('elsewhere', `http://127.0.0.1:${ports.plain}/never`, '', 'scopes: [some-other-app]\n'),
    componentYaml('files', 'secretstores.local.file', { secretsFile }),
    `---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: endpoint-policies
spec:
  policies:
    retries:
      twice:
        policy: constant
        duration: 10ms
        maxRetries: 2
  targets:
    apps:
      flaky-ext:
        retry: twice
`,
  ].join('');
}

describe('service invocation of non-Dapr endpoints (HTTPEndpoint and URL targets)', () => {
  const dir = tempDir('outrigger-endpoints-');
  const seen: Seen[] = [];
  const flaky = new Map<string, number>();
  const plain = createServer(recordingHandler(seen, flaky));
  let secure: Server | undefined;
  let sidecar: SidecarHandle;
  let client: DaprClient | undefined;
  let plainPort = 0;
  let securePort = 0;

  /** The one request the external services saw for a marker in its URL. */
  const seenFor = (marker: string): Seen => {
    const found = seen.filter((entry) => entry.url.includes(marker));
    assert.equal(found.length, 1, `one request for ${marker}, saw ${found.map((entry) => entry.url).join(', ')}`);
    return found[0] as Seen;
  };

  before(async () => {
    const certificates = makeCertificates(dir.path);
    secure = createTlsServer({ cert: certificates.serverCert, key: certificates.serverKey, ca: certificates.ca, requestCert: true, rejectUnauthorized: true }, recordingHandler(seen, flaky));
    [plainPort, securePort] = await Promise.all([listen(plain), listen(secure)]);
    const secretsFile = writeFile(join(dir.path, 'secrets.json'), JSON.stringify({
      'ext-token': 'Bearer from-the-secret-store', ca: certificates.ca, 'client-cert': certificates.clientCert, 'client-key': certificates.clientKey,
    }));
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'endpoints.yaml'), resourcesYaml({ plain: plainPort, secure: securePort }, secretsFile));
    sidecar = await startRun({ appId: 'endpoint-caller', resourcesPath: resources, home: join(dir.path, 'home') });
  });

  after(async () => {
    await client?.stop();
    await sidecar?.stop();
    plain.close();
    secure?.close();
    dir.cleanup();
  });

  it('calls an HTTPEndpoint by name: base URL + method path and query, the declared headers replacing the caller\'s', async () => {
    const answer = await call('PUT', `${sidecar.baseUrl}/v1.0/invoke/ext/method/orders/7?mark=named&x=1`, 'hello', {
      'content-type': 'text/plain', authorization: 'Bearer from-the-caller', 'x-caller': 'kept',
    });
    assert.equal(answer.status, 200);
    assert.equal(answer.headers.get('x-external'), 'yes');
    const request = seenFor('mark=named');
    assert.equal(request.method, 'PUT');
    assert.equal(request.url, '/base/orders/7?mark=named&x=1');
    assert.equal(request.bodyText, 'hello');
    assert.equal(request.headers.authorization, 'Bearer from-the-secret-store');
    assert.equal(request.headers['x-declared'], 'from-the-endpoint');
    assert.equal(request.headers['x-caller'], 'kept');
    assert.equal(request.headers['content-type'], 'text/plain');
    assert.equal(request.headers.host, `127.0.0.1:${plainPort}`, 'the Host header is the endpoint\'s');
    assert.equal(request.headers['dapr-caller-app-id'], undefined, 'no Dapr caller headers go to a non-Dapr endpoint');
  });

  it('resolves dot segments within the method path: a call cannot leave the base path', async () => {
    // Sent as written: fetch would resolve the dots of the whole path before sending.
    assert.equal(await rawGet(sidecar.httpPort, '/v1.0/invoke/ext/method/a/../../../admin?mark=dots'), 200);
    assert.equal(await rawGet(sidecar.httpPort, '/v1.0/invoke/ext/method/%2e%2e/%2E%2E/secret?mark=encoded-dots'), 200);
    assert.equal(seenFor('mark=dots').url, '/base/admin?mark=dots');
    assert.equal(seenFor('mark=encoded-dots').url, '/base/secret?mark=encoded-dots');
  });

  it('passes the endpoint\'s status, headers and body back unchanged', async () => {
    const answer = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/ext/method/status/418?mark=teapot`);
    assert.equal(answer.status, 418);
    assert.equal(answer.headers.get('x-external'), 'yes');
    assert.equal((JSON.parse(answer.text) as Seen).url, '/base/status/418?mark=teapot');
  });

  it('calls a URL target, as written in the path, percent-encoded, or in the dapr-app-id header', async () => {
    const target = `http://127.0.0.1:${plainPort}`;
    assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/invoke/${target}/method/raw?mark=url-raw`, { a: 1 })).status, 200);
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/invoke/${encodeURIComponent(target)}/method/enc?mark=url-encoded`)).status, 200);
    assert.equal((await call('GET', `${sidecar.baseUrl}/by/header?mark=url-header`, undefined, { 'dapr-app-id': target })).status, 200);
    assert.equal(seenFor('url-raw').url, '/raw?mark=url-raw');
    assert.equal(seenFor('url-raw').bodyText, '{"a":1}');
    assert.equal(seenFor('url-encoded').url, '/enc?mark=url-encoded');
    const byHeader = seenFor('url-header');
    assert.equal(byHeader.url, '/by/header?mark=url-header');
    assert.equal(byHeader.headers['dapr-app-id'], undefined, 'the routing header stops at the sidecar');
    assert.equal(byHeader.headers.authorization, undefined, 'a URL target gets no HTTPEndpoint\'s headers');
  });

  it('passes a large body sent in chunks to the endpoint whole', async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 7);
    const answer = await request(`${sidecar.baseUrl}/v1.0/invoke/ext/method/upload?mark=large`, {
      method: 'POST', body: Readable.from([payload.subarray(0, 1_000_000), payload.subarray(1_000_000)]),
    });
    assert.equal(answer.statusCode, 200);
    const echoed = await answer.body.json() as Seen;
    assert.equal(echoed.bodySha, createHash('sha256').update(payload).digest('hex'));
    assert.equal(seenFor('mark=large').bodySha, echoed.bodySha);
  });

  it('reaches an HTTPS endpoint with clientTLS: its root CA trusted, the client certificate presented', async () => {
    const answer = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/secure/method/tls?mark=mtls`);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(seenFor('mark=mtls').url, '/tls?mark=mtls');
  });

  it('verifies the certificate of an HTTPS URL target: an untrusted one fails the call', async () => {
    const answer = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/https://127.0.0.1:${securePort}/method/tls?mark=untrusted`);
    assert.equal(answer.status, 500);
    const error = errorOf(answer);
    assert.equal(error.errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(error.message, new RegExp(`^failed to invoke, id: https://127\\.0\\.0\\.1:${securePort}, err: .*certificate`));
    assert.equal(seen.filter((entry) => entry.url.includes('untrusted')).length, 0);
  });

  it('applies the Resiliency policies that target the endpoint\'s name; a URL target without any is called once', async () => {
    const retried = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/flaky-ext/method/flaky/named`);
    assert.equal(retried.status, 200, 'two 503s, then the second retry succeeds');
    assert.equal(flaky.get('named'), 3);
    const once = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/http://127.0.0.1:${plainPort}/method/flaky/url`);
    assert.equal(once.status, 503, 'the endpoint\'s own answer, not retried');
    assert.equal(flaky.get('url'), 1);
  });

  it('answers 500 ERR_DIRECT_INVOKE naming the target when the endpoint cannot be reached, or the URL has no host', async () => {
    // Port 1 (tcpmux): privileged and unused, so nothing else can be listening there during the test.
    const answer = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/http://127.0.0.1:1/method/x`);
    assert.equal(answer.status, 500);
    assert.deepEqual(errorOf(answer), { errorCode: 'ERR_DIRECT_INVOKE', message: 'failed to invoke, id: http://127.0.0.1:1, err: connect ECONNREFUSED 127.0.0.1:1' });
    const hostless = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/${encodeURIComponent('http://')}/method/127.0.0.1/x`);
    assert.equal(hostless.status, 500);
    assert.deepEqual(errorOf(hostless), { errorCode: 'ERR_DIRECT_INVOKE', message: 'failed to invoke, id: http://, err: invalid URL target: http:// is not a URL' });
  });

  it('meets an Expect: 100-continue at the sidecar and sends the body on', async () => {
    const { status } = await postExpectingContinue(sidecar.httpPort, '/v1.0/invoke/ext/method/continue?mark=expect', Buffer.from('{"expecting":true}'), { 'content-type': 'application/json' });
    assert.equal(status, 200);
    const request = seenFor('mark=expect');
    assert.equal(request.bodyText, '{"expecting":true}');
    assert.equal(request.headers.expect, undefined);
  });

  it('leaves out an HTTPEndpoint scoped to other apps: its name is then an app id', async () => {
    const answer = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/elsewhere/method/x`);
    assert.equal(answer.status, 500);
    assert.equal(errorOf(answer).message, 'failed to invoke, id: elsewhere, err: couldn\'t find service: elsewhere');
    const metadata = JSON.parse((await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).text) as { httpEndpoints: { name: string }[] };
    assert.deepEqual(metadata.httpEndpoints.map((endpoint) => endpoint.name).sort(), ['ext', 'flaky-ext', 'secure']);
  });

  it('serves the gRPC InvokeService of the official SDK for an HTTPEndpoint', async () => {
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC, logger: { level: LogLevel.Error } });
    const answer = await client.invoker.invoke('ext', 'from/grpc/mark-grpc', HttpMethod.POST, { via: 'grpc' }) as unknown as Seen;
    assert.equal(answer.url, '/base/from/grpc/mark-grpc');
    const request = seenFor('mark-grpc');
    assert.equal(request.method, 'POST');
    assert.equal(request.bodyText, '{"via":"grpc"}');
    assert.equal(request.headers['content-type'], 'application/json');
    assert.equal(request.headers.authorization, 'Bearer from-the-secret-store');
  });
});

describe('HTTPEndpoint resources that cannot be used stop the start', () => {
  const dir = tempDir('outrigger-endpoints-bad-');
  after(() => dir.cleanup());

  async function startFails(name: string, yaml: string, expected: RegExp): Promise<void> {
    const resources = join(dir.path, name);
    writeFile(join(resources, 'endpoint.yaml'), yaml);
    const run = new Spawned(process.execPath, [cliMain, 'run', '--app-id', `bad-${name}`, '--dapr-http-port', String(await freePort()),
      '--dapr-grpc-port', String(await freePort()), '--resources-path', resources], { env: { ...process.env, OUTRIGGER_HOME: join(dir.path, 'home') } });
    try {
      assert.notEqual(await run.exited, 0);
      await run.outputClosed;
      assert.match(run.output, expected);
    } finally {
      await run.stop();
    }
  }

  it('a base URL that is not http or https', async () => {
    await startFails('scheme', endpointYaml('broken', 'ftp://127.0.0.1/files'), /endpoint\.yaml.*HTTPEndpoint.*broken.*spec\.baseUrl.*must start with http:\/\/ or https:\/\//s);
  });

  it('a header secret without a secret store', async () => {
    await startFails('no-store', endpointYaml('broken', 'http://127.0.0.1:1', '  headers:\n  - name: Authorization\n    secretKeyRef: { name: token }\n'),
      /HTTPEndpoint "broken": field "spec\.headers\.Authorization": uses secretKeyRef "token" but no secret store is available/);
  });

  it('a client certificate that is not PEM', async () => {
    await startFails('bad-pem', endpointYaml('broken', 'https://127.0.0.1:1', '  clientTLS:\n    certificate: { value: not-a-certificate }\n    privateKey: { value: not-a-key }\n'),
      /HTTPEndpoint "broken": field "spec\.clientTLS": cannot be used/);
  });
});
