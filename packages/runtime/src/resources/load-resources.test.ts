import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigurationFile, loadResources, ResourceError } from './load-resources.js';

function folderWith(files: Record<string, string>): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-resources-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

const context = { appId: 'app1', namespace: '' };

const everyKind = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: store }
spec:
  type: state.sqlite
  version: v1
  initTimeout: 10s
  metadata:
  - { name: connectionString, value: /tmp/x.db }
  - { name: port, value: 5 }
  - { name: secret, secretKeyRef: { name: s, key: k } }
---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata: { name: sub }
spec:
  pubsubname: pubsub
  topic: orders
  routes: { rules: [{ match: 'event.type == "x"', path: /x }], default: /orders }
scopes: [app1]
---
apiVersion: dapr.io/v1alpha1
kind: Subscription
metadata: { name: old-sub }
spec: { pubsubname: pubsub, topic: t, route: /t }
---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata: { name: res }
spec:
  policies:
    retries: { r: { policy: constant, duration: 1s, maxRetries: 3 } }
  targets: { apps: { b: { retry: r } } }
---
apiVersion: dapr.io/v1alpha1
kind: HTTPEndpoint
metadata: { name: ext }
spec: { baseUrl: "https://example.test" }
---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata: { name: conf }
spec: { features: [{ name: HotReload, enabled: true }] }
`;

describe('loadResources', () => {
  it('reads every kind from multi-document files', async () => {
    const { dir, done } = folderWith({ 'all.yaml': everyKind, 'notes.txt': 'not yaml', 'other.yml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n' });
    try {
      const loaded = await loadResources([dir], context);
      assert.equal(loaded.components[0]?.metadata.name, 'store');
      assert.equal(loaded.components[0]?.spec.initTimeout, '10s');
      assert.equal(loaded.subscriptions.length, 2);
      assert.equal(loaded.resiliencies.length, 1);
      assert.equal(loaded.httpEndpoints[0]?.spec.baseUrl, 'https://example.test');
      assert.deepEqual(loaded.configurations[0]?.spec.features, [{ name: 'HotReload', enabled: true }]);
      assert.equal(loaded.skipped.length, 1, 'the non-Dapr document is skipped');
    } finally {
      done();
    }
  });

  it('leaves out components scoped to other apps and resources of other namespaces', async () => {
    const yaml = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: mine }
spec: { type: state.in-memory, version: v1 }
scopes: [app1]
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: theirs }
spec: { type: state.in-memory, version: v1 }
scopes: [app2]
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata: { name: elsewhere, namespace: other }
spec: { type: state.in-memory, version: v1 }
`;
    const { dir, done } = folderWith({ 'c.yaml': yaml });
    try {
      const loaded = await loadResources([dir], { appId: 'app1', namespace: 'prod' });
      assert.deepEqual(loaded.components.map((component) => component.metadata.name), ['mine']);
    } finally {
      done();
    }
  });

  it('names the file, the resource and the field of an invalid document', async () => {
    const bad = 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: broken }\nspec: { type: "not a type", version: v1 }\n';
    const { dir, done } = folderWith({ 'bad.yaml': bad });
    try {
      await assert.rejects(() => loadResources([dir], context), (error: unknown) => {
        assert.ok(error instanceof ResourceError);
        assert.equal(error.file, join(dir, 'bad.yaml'));
        assert.equal(error.resource, 'Component "broken"');
        assert.equal(error.field, 'spec.type');
        assert.match(error.message, /bad\.yaml: Component "broken": field "spec\.type"/);
        return true;
      });
    } finally {
      done();
    }
  });

  it('reports missing fields, broken YAML and missing folders', async () => {
    const cases: [string, RegExp][] = [
      ['apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: x }\nspec: { version: v1 }\n', /field "spec\.type"/],
      ['apiVersion: dapr.io/v2alpha1\nkind: Subscription\nmetadata: { name: s }\nspec: { pubsubname: p, topic: t, routes: {} }\n', /field "spec\.routes"/],
      ['apiVersion: dapr.io/v1alpha1\nkind: Resiliency\nmetadata: { name: r }\nspec: { policies: { timeouts: { t: soon } } }\n', /field "spec\.policies\.timeouts\.t"/],
      ['apiVersion: dapr.io/v1alpha1\nkind: HTTPEndpoint\nmetadata: { name: h }\nspec: {}\n', /field "spec\.baseUrl"/],
      ['apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata: { name: x\nspec: [', /YAML/],
    ];
    for (const [text, expected] of cases) {
      const { dir, done } = folderWith({ 'r.yaml': text });
      try {
        await assert.rejects(() => loadResources([dir], context), expected);
      } finally {
        done();
      }
    }
    await assert.rejects(() => loadResources(['/no/such/folder'], context), /does not exist/);
  });

  it('loads a --config file', async () => {
    const { dir, done } = folderWith({ 'config.yaml': 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: { name: daprConfig }\nspec: {}\n' });
    try {
      assert.equal((await loadConfigurationFile(join(dir, 'config.yaml'))).metadata.name, 'daprConfig');
    } finally {
      done();
    }
  });
});
