import type { SecretStore } from '@outrigger/components-api';
import type { ComponentResource } from '../resources/resource-schemas.js';
import type { LoadedComponent } from './component-host.js';

/**
 * Orders components so that each one comes after the secret store its `auth.secretStore` names,
 * keeping file order otherwise. daprd gets the same effect by holding a component back until its
 * secret store is loaded; an order fixed up front gives the same result without a waiting queue.
 * A store that is not in the list, or a cycle, leaves the order as it is: the lookup then fails
 * with a message naming the store.
 */
export function orderBySecretStore<T extends Pick<ComponentResource, 'metadata' | 'auth'>>(resources: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const resource of resources) if (!byName.has(resource.metadata.name)) byName.set(resource.metadata.name, resource);
  const ordered: T[] = [];
  const done = new Set<T>();
  const visiting = new Set<T>();
  const visit = (resource: T): void => {
    if (done.has(resource) || visiting.has(resource)) return;
    visiting.add(resource);
    const store = resource.auth?.secretStore;
    const dependency = store === undefined ? undefined : byName.get(store);
    if (dependency && dependency !== resource) visit(dependency);
    visiting.delete(resource);
    done.add(resource);
    ordered.push(resource);
  };
  for (const resource of resources) visit(resource);
  return ordered;
}

/**
 * Resolves one `secretKeyRef` against the secret stores loaded so far, as daprd does: the secret is
 * read with `namespace` metadata, and `key` defaults to the secret's name (the shape of a
 * single-valued store's answer). Unlike daprd, which logs and leaves the value empty, every
 * failure is thrown so the component fails to load with a message naming the field.
 * @throws Error when the store is not loaded, is not a secret store, fails, or has no such key.
 */
export async function readSecretReference(
  loaded: ReadonlyMap<string, LoadedComponent>, storeName: string, secretName: string, key: string | undefined, namespace: string,
): Promise<string> {
  const component = loaded.get(storeName);
  if (!component) throw new Error(`secret store "${storeName}" (auth.secretStore) is not loaded`);
  if (component.registration.block !== 'secretstores') {
    throw new Error(`"${storeName}" (auth.secretStore) is a ${component.resource.spec.type} component, not a secret store`);
  }
  const data = await (component.instance as SecretStore).getSecret({ name: secretName, metadata: { namespace } });
  const wanted = key === undefined || key === '' ? secretName : key;
  // An own-property check, so that names such as "constructor" are not found on Object.prototype.
  const value = data !== undefined && Object.hasOwn(data, wanted) ? data[wanted] : undefined;
  if (value === undefined) throw new Error(`secret "${secretName}" in store "${storeName}" has no key "${wanted}"`);
  return value;
}
