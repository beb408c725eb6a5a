import { daprError, pathOf, type DaprError } from '@outrigger/kit';
import { ResourceError, type Located } from '../../resources/load-resources.js';
import type { ConfigurationResource } from '../../resources/resource-schemas.js';

/**
 * Dapr's access control for service invocation (a Configuration's `spec.accessControl`), applied by the
 * called app's sidecar to calls that come from other sidecars; calls an app makes to its own id are not
 * checked, as in daprd. daprd matches the policies against the caller's SPIFFE identity, read from its
 * mTLS certificate. Without one (daprd without mTLS, and Outrigger, which has no mTLS yet) the caller
 * cannot be verified and every call gets the global default action. So the policies are read and
 * checked as daprd checks them, and the global default action decides:
 * - no `accessControl`, or one with no `defaultAction`, no `trustDomain` and no policies: allow;
 * - `defaultAction` given: allow when it is "allow" in any case, deny for anything else;
 * - no `defaultAction`: deny when policies are given (or the list is left out), allow for an empty list.
 */
export class AccessControl {
  private constructor(private readonly allows: boolean, private readonly appId: string) {}

  /**
   * The access control of the last Configuration that has an `accessControl` section (the `--config`
   * file is loaded last).
   * @throws ResourceError for what daprd refuses at start-up: a policy without `appId`, `trustDomain` or `namespace`
   */
  static fromConfigurations(configurations: readonly Located<ConfigurationResource>[], appId: string): AccessControl {
    const configuration = [...configurations].reverse().find((candidate) => candidate.spec.accessControl !== undefined);
    const spec = configuration?.spec.accessControl;
    if (!configuration || !spec) return new AccessControl(true, appId);
    const policies = spec.policies;
    if (!spec.trustDomain && !spec.defaultAction && (policies ?? []).length === 0) return new AccessControl(true, appId);
    const missing = { trustDomain: [] as string[], namespace: [] as string[], appId: false };
    for (const policy of policies ?? []) {
      if (!policy.appId) missing.appId = true;
      if (!policy.trustDomain) missing.trustDomain.push(policy.appId ?? '');
      if (!policy.namespace) missing.namespace.push(policy.appId ?? '');
    }
    if (missing.appId || missing.trustDomain.length > 0 || missing.namespace.length > 0) {
      throw new ResourceError(configuration.origin.file, `Configuration "${configuration.metadata.name}"`, 'spec.accessControl.policies',
        `invalid access control spec. missing trustdomain for apps: [${missing.trustDomain.join(' ')}], missing namespace for apps: [${missing.namespace.join(' ')}], missing app name on at least one of the app policies: ${missing.appId}`);
    }
    const defaultAction = spec.defaultAction ? spec.defaultAction : (policies === undefined || policies.length > 0 ? 'deny' : 'allow');
    return new AccessControl(defaultAction.toLowerCase() === 'allow', appId);
  }

  /** Access control that allows every call: sidecars without Configuration, and tests. */
  static allowAll(appId: string): AccessControl {
    return new AccessControl(true, appId);
  }

  /** False when every call from another sidecar is refused. */
  get allowsCalls(): boolean {
    return this.allows;
  }

  /**
   * Why a call from another sidecar is refused, or undefined when it may go on. The target is only taken
   * apart for a refusal: an allowed call, the usual case, costs one check.
   * @param target the request target (the HTTP method path with its query), or the gRPC method
   * @param verb the HTTP verb, or NONE for a proxied gRPC call
   */
  refusal(target: string, verb: string): DaprError | undefined {
    if (this.allows) return undefined;
    return daprError('directInvokeDenied', this.appId, operationName(target, verb), verb);
  }

  /** The policy's own words for a refusal, as daprd's gRPC proxy answers them (PERMISSION_DENIED). */
  deniedText(target: string, verb: string): string {
    return `access control policy has denied access to id:  operation: ${operationName(target, verb)} verb: ${verb}`;
  }
}

/**
 * The operation as daprd names it in a refusal: an HTTP invocation by its method path, without the query
 * and the leading slash; a gRPC method by its full name.
 */
function operationName(target: string, verb: string): string {
  const path = pathOf(target);
  return verb !== 'NONE' && path.startsWith('/') ? path.slice(1) : path;
}
