import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@outrigger/kit';
import { ResourceError, type Located } from '../../resources/load-resources.js';
import { httpEndpointSchema, type HttpEndpointResource } from '../../resources/resource-schemas.js';
import { endpointRequestPath, HttpEndpoints, type ExternalTarget, type HttpEndpointsContext } from './http-endpoints.js';

function endpoint(name: string, spec: Record<string, unknown>, secretStore?: string): Located<HttpEndpointResource> {
  const document = { apiVersion: 'dapr.io/v1alpha1', kind: 'HTTPEndpoint', metadata: { name }, spec, ...(secretStore && { auth: { secretStore } }) };
  return { ...httpEndpointSchema.parse(document), origin: { file: '/res/endpoints.yaml' } };
}

/** Secrets as a store named "vault" would answer them. */
const secrets = new Map([['token', 'Bearer t0ken']]);
const context: HttpEndpointsContext = {
  appId: 'caller', namespace: 'default', env: { REGION: 'eu-west' }, logger: createLogger({ scope: 'test', level: 'silent' }),
  lookupSecret: (store, name) => {
    const value = store === 'vault' ? secrets.get(name) : undefined;
    return value === undefined ? Promise.reject(new Error(`no secret ${name} in ${store}`)) : Promise.resolve(value);
  },
};

async function createFails(resources: Located<HttpEndpointResource>[], message: RegExp): Promise<void> {
  await assert.rejects(HttpEndpoints.create(resources, context), (error: unknown) => {
    assert.ok(error instanceof ResourceError);
    assert.match(error.message, message);
    return true;
  });
}

describe('HttpEndpoints', () => {
  it('resolves in daprd\'s order: an HTTPEndpoint\'s name, then an http(s) URL, else an app id', async () => {
    const endpoints = await HttpEndpoints.create([endpoint('orders', { baseUrl: 'https://orders.example/v2' })], context);
    try {
      const named = endpoints.resolve('orders');
      assert.deepEqual([named?.origin, named?.basePath, named?.isUrl], ['https://orders.example', '/v2', false]);
      const url = endpoints.resolve('http://127.0.0.1:3000');
      assert.deepEqual([url?.origin, url?.basePath, url?.isUrl, url?.headers], ['http://127.0.0.1:3000', '', true, {}]);
      assert.equal(endpoints.resolve('https://api.example/')?.basePath, '/', 'a trailing slash is kept, as daprd joins the text');
      assert.equal(endpoints.resolve('https://api.example')?.name, 'https://api.example');
      assert.equal(endpoints.resolve('payments'), undefined);
      assert.equal(endpoints.resolve('payments.prod'), undefined);
      assert.equal(endpoints.resolve('HTTP://upper.example'), undefined, 'the scheme prefix is matched as daprd matches it, case and all');
    } finally {
      await endpoints.close();
    }
  });

  it('resolves the declared headers once: values, envRef and secretKeyRef, names in lower case', async () => {
    const endpoints = await HttpEndpoints.create([endpoint('api', {
      baseUrl: 'http://api.example',
      headers: [{ name: 'Authorization', secretKeyRef: { name: 'token', key: 'token' } }, { name: 'X-Region', envRef: 'REGION' }, { name: 'X-Count', value: 3 }],
    }, 'vault')], context);
    try {
      assert.deepEqual(endpoints.resolve('api')?.headers, { authorization: 'Bearer t0ken', 'x-region': 'eu-west', 'x-count': '3' });
    } finally {
      await endpoints.close();
    }
  });

  it('refuses headers that cannot be sent or resolved, naming the field', async () => {
    await createFails([endpoint('api', { baseUrl: 'http://api.example', headers: [{ name: 'Bad Name', value: 'x' }] })],
      /endpoints\.yaml: HTTPEndpoint "api": field "spec\.headers\.Bad Name": is not a valid HTTP header name/);
    await createFails([endpoint('api', { baseUrl: 'http://api.example', headers: [{ name: 'X-Split', value: 'a\r\nInjected: yes' }] })],
      /field "spec\.headers\.X-Split": has a value with characters an HTTP header cannot carry/);
    await createFails([endpoint('api', { baseUrl: 'http://api.example', headers: [{ name: 'Authorization', secretKeyRef: { name: 'missing' } }] }, 'vault')],
      /field "spec\.headers\.Authorization": secretKeyRef "missing": no secret missing in vault/);
  });

  it('refuses a URL target without a host, or with a query, a fragment or credentials', async () => {
    const endpoints = await HttpEndpoints.create([], context);
    try {
      for (const target of ['http://', 'http:///evil.example', 'https://api.example?key=1', 'https://api.example#top', 'http://user:pw@api.example']) {
        assert.throws(() => endpoints.resolve(target), (error: Error) => error.message.startsWith(`failed to invoke, id: ${target}, err: invalid URL target`), target);
      }
    } finally {
      await endpoints.close();
    }
  });

  it('refuses headers the sidecar sets itself, and a name declared twice in any case', async () => {
    for (const name of ['Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Expect']) {
      await createFails([endpoint('api', { baseUrl: 'http://api.example', headers: [{ name, value: 'x' }] })], new RegExp(`field "spec\\.headers\\.${name}": frames the message`));
    }
    await createFails([endpoint('api', { baseUrl: 'http://api.example', headers: [{ name: 'Authorization', value: 'a' }, { name: 'authorization', value: 'b' }] })],
      /field "spec\.headers\.authorization": is declared twice/);
  });

  it('refuses a base URL with a query', async () => {
    await createFails([endpoint('api', { baseUrl: 'http://api.example/v1?key=1' })], /field "spec\.baseUrl": http:\/\/api\.example\/v1\?key=1 has a query or a fragment/);
  });

  it('refuses two HTTPEndpoints of one name', async () => {
    await createFails([endpoint('twice', { baseUrl: 'http://a.example' }), endpoint('twice', { baseUrl: 'http://b.example' })],
      /HTTPEndpoint "twice": field "metadata\.name": an HTTPEndpoint named "twice" is already loaded/);
  });

  it('refuses clientTLS documents that are not PEM, or a secret that cannot be read', async () => {
    await createFails([endpoint('tls', { baseUrl: 'https://tls.example', clientTLS: { rootCA: { value: 'not a certificate' } } })],
      /field "spec\.clientTLS\.rootCA": is not a PEM certificate/);
    await createFails([endpoint('tls', { baseUrl: 'https://tls.example', clientTLS: { rootCA: { secretKeyRef: { name: 'ca' } } } }, 'vault')],
      /field "spec\.clientTLS\.rootCA": secretKeyRef "ca": no secret ca in vault/);
    await createFails([endpoint('tls', { baseUrl: 'https://tls.example', clientTLS: { rootCA: { secretKeyRef: { name: 'ca' } } } })],
      /field "spec\.clientTLS\.rootCA": uses secretKeyRef "ca" but no secret store is available/);
  });
});

describe('endpointRequestPath', () => {
  const base = (basePath: string) => ({ name: 'e', isUrl: false, origin: 'http://h', basePath, headers: {} }) as unknown as ExternalTarget;

  it('appends the method to the base path and keeps the query as sent', () => {
    assert.equal(endpointRequestPath(base('/v1'), '/orders/7?q=\'a\'&sig=%2F%2f'), '/v1/orders/7?q=\'a\'&sig=%2F%2f');
    assert.equal(endpointRequestPath(base(''), '/orders'), '/orders');
    assert.equal(endpointRequestPath(base('/'), '/orders'), '//orders', 'as daprd joins a base URL ending in "/"');
    assert.equal(endpointRequestPath(base('/v1'), '/a%20b/c\\d/'), '/v1/a%20b/c\\d/', 'escapes, backslashes and a trailing slash kept');
  });

  it('resolves dot segments within the method, never above the base path', () => {
    assert.equal(endpointRequestPath(base('/v1'), '/a/../../../admin?x=1'), '/v1/admin?x=1');
    assert.equal(endpointRequestPath(base('/v1'), '/%2e%2E/.%2e/secret'), '/v1/secret');
    assert.equal(endpointRequestPath(base('/v1'), '/a/./b/.'), '/v1/a/b/');
    assert.equal(endpointRequestPath(base('/v1'), '/a/..'), '/v1');
    assert.equal(endpointRequestPath(base(''), '/..'), '/');
    assert.equal(endpointRequestPath(base('/v1'), '/...'), '/v1/...', 'three dots are a name');
  });

  it('calls the base URL itself for an empty method', () => {
    assert.equal(endpointRequestPath(base('/v1'), '/'), '/v1');
    assert.equal(endpointRequestPath(base(''), '/?a=1'), '/?a=1');
  });
});

describe('httpEndpointSchema', () => {
  const parse = (spec: Record<string, unknown>) => httpEndpointSchema.safeParse({ apiVersion: 'dapr.io/v1alpha1', kind: 'HTTPEndpoint', metadata: { name: 'e' }, spec });

  it('takes http and https base URLs only', () => {
    assert.equal(parse({ baseUrl: 'http://a.example' }).success, true);
    assert.equal(parse({ baseUrl: 'https://a.example/path' }).success, true);
    assert.equal(parse({ baseUrl: 'ftp://a.example' }).success, false);
    assert.equal(parse({ baseUrl: 'a.example' }).success, false);
  });

  it('wants a client certificate and its key together, each document given one way, and a known renegotiation', () => {
    const pem = { value: 'pem' };
    assert.equal(parse({ baseUrl: 'https://a.example', clientTLS: { certificate: pem, privateKey: pem, renegotiation: 'Never' } }).success, true);
    assert.equal(parse({ baseUrl: 'https://a.example', clientTLS: { certificate: pem } }).success, false);
    assert.equal(parse({ baseUrl: 'https://a.example', clientTLS: { privateKey: pem } }).success, false);
    assert.equal(parse({ baseUrl: 'https://a.example', clientTLS: { rootCA: { value: 'pem', secretKeyRef: { name: 's' } } } }).success, false);
    assert.equal(parse({ baseUrl: 'https://a.example', clientTLS: { rootCA: {} } }).success, false);
    assert.equal(parse({ baseUrl: 'https://a.example', clientTLS: { renegotiation: 'Sometimes' } }).success, false);
  });
});
