import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResourceError, type Located } from '../../resources/load-resources.js';
import { configurationSchema, type ConfigurationResource } from '../../resources/resource-schemas.js';
import { AccessControl } from './access-control.js';

function configuration(accessControl: unknown, name = 'appconfig'): Located<ConfigurationResource> {
  const spec = accessControl === undefined ? {} : { accessControl };
  return { ...configurationSchema.parse({ apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name }, spec }), origin: { file: '/res/config.yaml' } } as Located<ConfigurationResource>;
}

const allows = (...configurations: Located<ConfigurationResource>[]): boolean => AccessControl.fromConfigurations(configurations, 'callee').allowsCalls;
const policy = { appId: 'caller', trustDomain: 'public', namespace: 'default', defaultAction: 'allow' };

describe('AccessControl', () => {
  it('allows every call without accessControl, or with an empty one', () => {
    assert.equal(allows(), true);
    assert.equal(allows(configuration(undefined)), true);
    assert.equal(allows(configuration({})), true);
    assert.equal(allows(configuration({ policies: [] })), true);
  });

  it('takes the global default action, "allow" in any case allowing and anything else denying', () => {
    assert.equal(allows(configuration({ defaultAction: 'allow' })), true);
    assert.equal(allows(configuration({ defaultAction: 'ALLOW' })), true);
    assert.equal(allows(configuration({ defaultAction: 'deny' })), false);
    assert.equal(allows(configuration({ defaultAction: 'maybe' })), false);
  });

  it('denies without a global default action when policies are given or left out beside a trust domain, as daprd', () => {
    assert.equal(allows(configuration({ policies: [policy] })), false);
    assert.equal(allows(configuration({ trustDomain: 'public' })), false);
    assert.equal(allows(configuration({ trustDomain: 'public', policies: [] })), true);
  });

  it('decides by the global default even where a policy names the caller: without mTLS no caller is verified', () => {
    assert.equal(allows(configuration({ defaultAction: 'deny', policies: [policy] })), false);
  });

  it('uses the last Configuration that has an accessControl section', () => {
    assert.equal(allows(configuration({ defaultAction: 'deny' }, 'first'), configuration({ defaultAction: 'allow' }, 'second'), configuration(undefined, 'third')), true);
  });

  it('refuses a policy without trust domain, namespace or app id with daprd\'s message, naming the file', () => {
    assert.throws(() => allows(configuration({ defaultAction: 'deny', policies: [{ appId: 'a', namespace: 'default' }, { appId: 'b', trustDomain: 'public' }, { trustDomain: 'public', namespace: 'default' }] })),
      (error: unknown) => error instanceof ResourceError && error.message === '/res/config.yaml: Configuration "appconfig": field "spec.accessControl.policies": '
        + 'invalid access control spec. missing trustdomain for apps: [a], missing namespace for apps: [b], missing app name on at least one of the app policies: true');
  });

  it('names the operation as daprd does: an HTTP method without its query and leading slash, a gRPC method whole', () => {
    const denying = AccessControl.fromConfigurations([configuration({ defaultAction: 'deny' })], 'callee');
    const refusal = denying.refusal('/orders/1?force=true', 'DELETE');
    assert.equal(refusal?.httpStatus, 403);
    assert.equal(refusal?.message, 'failed to invoke, id: callee, err: rpc error: code = PermissionDenied desc = access control policy has denied access to id:  operation: orders/1 verb: DELETE');
    assert.equal(denying.deniedText('/pkg.Svc/Do', 'NONE'), 'access control policy has denied access to id:  operation: /pkg.Svc/Do verb: NONE');
    assert.equal(AccessControl.allowAll('callee').refusal('/orders/1', 'DELETE'), undefined);
  });
});
