// Dapr distributed lock API (alpha1) over HTTP: https://docs.dapr.io/reference/api/distributed_lock_api/
import { daprError } from '@outrigger/kit';
import type { LockApi } from '../../blocks/lock/lock-api.js';
import { readBody, sendJson } from './http-io.js';
import type { RequestContext, RouteDefinition } from './route-types.js';

const alpha1 = ['v1.0-alpha1'];

export function lockRoutes(lock: LockApi): RouteDefinition[] {
  return [
    {
      methods: ['POST'], path: '/lock/:storeName', versions: alpha1,
      handler: async (context) => {
        const body = await readRequest(context);
        const result = await lock.tryLock({
          storeName: context.params.storeName ?? '',
          resourceId: stringField(body, 'resourceId', 'resource_id'),
          lockOwner: stringField(body, 'lockOwner', 'lock_owner'),
          expiryInSeconds: int32Field(body, 'expiryInSeconds', 'expiry_in_seconds'),
        });
        // daprd emits unpopulated fields here, so a refused lock is `{"success":false}`, not an empty object.
        sendJson(context.res, 200, { success: result.success });
      },
    },
    {
      methods: ['POST'], path: '/unlock/:storeName', versions: alpha1,
      handler: async (context) => {
        const body = await readRequest(context);
        const result = await lock.unlock({
          storeName: context.params.storeName ?? '',
          resourceId: stringField(body, 'resourceId', 'resource_id'),
          lockOwner: stringField(body, 'lockOwner', 'lock_owner'),
        });
        // The status as a number, as daprd sends it (not the enum name protojson would write).
        sendJson(context.res, 200, { status: result.status });
      },
    },
  ];
}

/**
 * Reads the body as daprd's universal handler does with protojson: an empty body is an empty request,
 * anything else must be a JSON object; unknown fields are ignored.
 * @throws DaprError (400 ERR_MALFORMED_REQUEST, or ERR_BODY_READ when the body cannot be read)
 */
async function readRequest(context: RequestContext): Promise<Record<string, unknown>> {
  let bytes: Buffer;
  try {
    bytes = await readBody(context.req, context.maxBodyBytes);
  } catch (error) {
    // daprd's universal handler reports a failed read (an oversize body included) as ERR_BODY_READ.
    throw daprError('bodyRead', (error as Error).message);
  }
  if (bytes.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw daprError('malformedRequest', (error as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw daprError('malformedRequest', 'expected a JSON object');
  return parsed as Record<string, unknown>;
}

/** protojson accepts a field by its JSON name or its proto name; null means unset. */
function field(body: Record<string, unknown>, jsonName: string, protoName: string): unknown {
  return body[jsonName] ?? body[protoName] ?? null;
}

function stringField(body: Record<string, unknown>, jsonName: string, protoName: string): string {
  const value = field(body, jsonName, protoName);
  if (value === null) return '';
  if (typeof value !== 'string') throw daprError('malformedRequest', `invalid value for string field ${jsonName}: ${JSON.stringify(value)}`);
  return value;
}

/** An int32 as protojson reads it: a JSON number or a decimal string, integral and in range. */
function int32Field(body: Record<string, unknown>, jsonName: string, protoName: string): number {
  const value = field(body, jsonName, protoName);
  if (value === null) return 0;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(number) || number < -(2 ** 31) || number >= 2 ** 31) {
    throw daprError('malformedRequest', `invalid value for int32 field ${jsonName}: ${JSON.stringify(value)}`);
  }
  return number;
}
