import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import type { z } from 'zod';
import { ResourceError, type LoadContext, type LoadedResources, type Located } from './load-resources.js';
import {
  componentSchema, configurationSchema, httpEndpointSchema, resiliencySchema, subscriptionV1Schema, subscriptionV2Schema,
  type ConfigurationResource,
} from './resource-schemas.js';

// Imported by load-resources.ts when there is a file to read, so a sidecar without resources does not
// load yaml and zod.

/** Adds the Dapr resources of one YAML file (several documents allowed). @throws ResourceError */
export function addFileResources(loaded: LoadedResources, file: string, context: LoadContext): void {
  for (const document of readDocuments(file)) addDocument(loaded, document, file, context);
}

/** Reads one Configuration file, as given by `--config`. @throws ResourceError */
export function readConfigurationFile(file: string): Located<ConfigurationResource> {
  const documents = readDocuments(file);
  const first = documents.find((document) => isRecord(document) && document.kind === 'Configuration');
  if (!first) throw new ResourceError(file, 'file', 'kind', 'no Configuration resource found');
  return { ...validate(configurationSchema, first, file), origin: { file } };
}

function readDocuments(file: string): unknown[] {
  const text = readFileSync(file, 'utf8');
  const documents = parseAllDocuments(text);
  const list = Array.isArray(documents) ? documents : [documents];
  const values: unknown[] = [];
  for (const document of list) {
    if (document.errors.length > 0) {
      const error = document.errors[0];
      throw new ResourceError(file, 'YAML', '', error?.message ?? 'invalid YAML');
    }
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) values.push(value);
  }
  return values;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(document: Record<string, unknown>): string {
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '(unnamed)';
  return `${String(document.kind ?? 'resource')} "${name}"`;
}

function validate<T extends z.ZodTypeAny>(schema: T, document: unknown, file: string): z.infer<T> {
  const result = schema.safeParse(document);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? issue.path.map(String).join('.') : '';
  throw new ResourceError(file, describe(document as Record<string, unknown>), field, issue?.message ?? 'invalid');
}

function inScope(scopes: readonly string[] | undefined, appId: string): boolean {
  return !scopes || scopes.length === 0 || scopes.includes(appId);
}

function addDocument(loaded: LoadedResources, document: unknown, file: string, context: LoadContext): void {
  if (!isRecord(document)) throw new ResourceError(file, 'document', '', 'is not a YAML mapping');
  const apiVersion = String(document.apiVersion ?? '');
  if (!apiVersion.startsWith('dapr.io/')) {
    loaded.skipped.push(`${file}: ${describe(document)} has apiVersion "${apiVersion}", not a Dapr resource`);
    return;
  }
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  if (context.namespace !== '' && namespace !== '' && namespace !== context.namespace) {
    loaded.skipped.push(`${file}: ${describe(document)} is in namespace ${namespace}`);
    return;
  }
  const origin = { file };
  switch (document.kind) {
    case 'Component': {
      const component = validate(componentSchema, document, file);
      if (inScope(component.scopes, context.appId)) loaded.components.push({ ...component, origin });
      else loaded.skipped.push(`${file}: ${describe(document)} is not scoped to ${context.appId}`);
      return;
    }
    case 'Subscription': {
      const schema = apiVersion === 'dapr.io/v1alpha1' ? subscriptionV1Schema : subscriptionV2Schema;
      const subscription = validate(schema, document, file);
      if (inScope(subscription.scopes, context.appId)) loaded.subscriptions.push({ ...subscription, origin });
      return;
    }
    case 'Resiliency': {
      const resiliency = validate(resiliencySchema, document, file);
      if (inScope(resiliency.scopes, context.appId)) loaded.resiliencies.push({ ...resiliency, origin });
      return;
    }
    case 'HTTPEndpoint': {
      const endpoint = validate(httpEndpointSchema, document, file);
      if (inScope(endpoint.scopes, context.appId)) loaded.httpEndpoints.push({ ...endpoint, origin });
      return;
    }
    case 'Configuration':
      loaded.configurations.push({ ...validate(configurationSchema, document, file), origin });
      return;
    default:
      loaded.skipped.push(`${file}: ${describe(document)} has a kind Outrigger does not know`);
  }
}
