import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRunFile, resolveRunFilePath, RunFileError } from './commands/run-file.js';

describe('run file', () => {
  const root = mkdtempSync(join(tmpdir(), 'outrigger-runfile-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  let count = 0;

  /** A fresh folder with the given files (paths relative to it). */
  const project = (files: Record<string, string>, folders: string[] = []): string => {
    const dir = join(root, `p${count++}`);
    for (const folder of folders) mkdirSync(join(dir, folder), { recursive: true });
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
    return dir;
  };
  const home = join(root, 'home');

  const refused = (dir: string, field: string, detail: RegExp): void => {
    assert.throws(() => loadRunFile(dir, home), (error: unknown) => {
      assert.ok(error instanceof RunFileError, String(error));
      assert.equal(error.field, field);
      assert.match(error.message, detail);
      assert.ok(error.message.includes(field));
      return true;
    });
  };

  it('refuses a run file without version, naming the field', () => {
    refused(project({ 'dapr.yaml': 'apps:\n  - appDirPath: ./a\n' }, ['a']), 'version', /required field is missing/);
  });

  it('refuses an unsupported version', () => {
    refused(project({ 'dapr.yaml': 'version: 2\napps:\n  - appDirPath: ./a\n' }, ['a']), 'version', /unsupported version 2/);
  });

  it('refuses an app without appDirPath, naming the field', () => {
    refused(project({ 'dapr.yaml': 'version: 1\napps:\n  - appID: a\n    command: ["node", "a.js"]\n' }), 'apps[0].appDirPath', /required field is missing/);
  });

  it('refuses paths that do not exist, a wrong type, duplicate ids and an empty program', () => {
    refused(project({ 'dapr.yaml': 'version: 1\napps:\n  - appDirPath: ./missing\n' }), 'apps[0].appDirPath', /does not exist/);
    refused(project({ 'dapr.yaml': 'version: 1\napps:\n  - appDirPath: ./a\n    appPort: "x"\n' }, ['a']), 'apps[0].appPort', /expected number/);
    refused(project({ 'dapr.yaml': 'version: 1\napps:\n  - appDirPath: ./a\n  - appDirPath: ./x/a\n' }, ['a', 'x/a']), 'apps[1].appID', /already used/);
    refused(project({ 'dapr.yaml': 'version: 1\napps:\n  - appDirPath: ./a\n    command: [""]\n' }, ['a']), 'apps[0].command', /empty/);
    refused(project({ 'dapr.yaml': 'version: 1\ncommon:\n  resourcesPaths: [./nope]\napps:\n  - appDirPath: ./a\n' }, ['a']), 'common.resourcesPaths[0]', /does not exist/);
    refused(project({ 'dapr.yaml': 'version: 1\napps: []\n' }), 'apps', /./);
  });

  it('resolves a folder to dapr.yaml and wants .yaml files', () => {
    const dir = project({ 'dapr.yaml': 'version: 1\napps:\n  - appDirPath: .\n', 'run.txt': '' });
    assert.equal(resolveRunFilePath(dir), join(dir, 'dapr.yaml'));
    assert.throws(() => resolveRunFilePath(join(dir, 'run.txt')), RunFileError);
    assert.throws(() => resolveRunFilePath(join(dir, 'other.yaml')), /file not found/);
  });

  it('resolves paths and precedence as the dapr CLI does', () => {
    const dir = project({
      'run.yaml': `version: 1
name: shop
common:
  resourcesPaths: [./shared]
  configFilePath: ./common-config.yaml
  logLevel: debug
  enableApiLogging: true
  env:
    SHARED: common
    WHO: common
apps:
  - appDirPath: ./orders
    command: ["node", "orders.js"]
    appPort: 3000
    daprHTTPPort: 3500
    env:
      WHO: orders
  - appID: pay
    appDirPath: ./payments
    resourcesPath: ./own
    configFilePath: ./own-config.yaml
    logLevel: warn
    appPort: -1
    appId: slip
    enableProfiling: true
  - appDirPath: ./dotted
`,
      'common-config.yaml': '', 'payments/own-config.yaml': '', 'dotted/.dapr/config.yaml': '',
    }, ['shared', 'orders', 'payments/own', 'dotted/.dapr/resources']);
    const plan = loadRunFile(join(dir, 'run.yaml'), home, '/');
    assert.equal(plan.file, join(dir, 'run.yaml'));
    assert.equal(plan.name, 'shop');
    const [orders, pay, dotted] = plan.apps;
    assert.ok(orders && pay && dotted);

    assert.equal(orders.appId, 'orders');
    assert.equal(orders.appDir, join(dir, 'orders'));
    assert.deepEqual(orders.command, ['node', 'orders.js']);
    assert.equal(orders.appPort, 3000);
    assert.equal(orders.httpPort, 3500);
    assert.equal(orders.grpcPort, undefined);
    assert.deepEqual(orders.resourcesPaths, [join(dir, 'shared')]);
    assert.equal(orders.configPath, join(dir, 'common-config.yaml'));
    assert.equal(orders.logLevel, 'debug');
    assert.equal(orders.enableApiLogging, true);
    assert.deepEqual(orders.env, { SHARED: 'common', WHO: 'orders' });
    assert.equal(orders.appProtocol, 'http');

    assert.equal(pay.appId, 'pay');
    assert.deepEqual(pay.resourcesPaths, [join(dir, 'payments', 'own')]);
    assert.equal(pay.configPath, join(dir, 'payments', 'own-config.yaml'));
    assert.equal(pay.logLevel, 'warn');
    assert.equal(pay.appPort, undefined);
    assert.deepEqual(pay.command, []);

    assert.deepEqual(dotted.resourcesPaths, [join(dir, 'dotted', '.dapr', 'resources')]);
    assert.equal(dotted.configPath, join(dir, 'dotted', '.dapr', 'config.yaml'));

    assert.ok(plan.warnings.some((warning) => warning.includes('apps[1].appId') && warning.includes('appID')), plan.warnings.join('\n'));
    assert.ok(plan.warnings.some((warning) => warning.includes('apps[1].enableProfiling')), plan.warnings.join('\n'));
  });

  it('falls back to the Outrigger home for resources and config', () => {
    const withHome = project({ 'home/config.yaml': '', 'dapr.yaml': 'version: 1\napps:\n  - appDirPath: ./a\n' }, ['a', 'home/components']);
    const plan = loadRunFile(withHome, join(withHome, 'home'));
    assert.deepEqual(plan.apps[0]?.resourcesPaths, [join(withHome, 'home', 'components')]);
    assert.equal(plan.apps[0]?.configPath, join(withHome, 'home', 'config.yaml'));
    const bare = loadRunFile(withHome, join(root, 'no-home'));
    assert.deepEqual(bare.apps[0]?.resourcesPaths, []);
    assert.equal(bare.apps[0]?.configPath, undefined);
  });
});
