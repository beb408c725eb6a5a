import type { ComponentRegistry } from '@outrigger/components-api';
import { CronBinding, cronMetadata } from './cron.js';
import { HttpBinding, httpBindingMetadata } from './http-binding.js';
import { LocalStorageBinding, localStorageMetadata } from './localstorage.js';

/** Registers the bindings that need no external server: `bindings.cron`, `bindings.http`, `bindings.localstorage`. */
export function registerBindingComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'bindings.cron',
    block: 'bindings',
    versions: ['v1'],
    description: 'Input binding that triggers the app on a schedule (cron with optional seconds, @every, @hourly, ...).',
    metadata: cronMetadata,
    create: () => new CronBinding(),
  });
  registry.register({
    type: 'bindings.http',
    block: 'bindings',
    versions: ['v1'],
    description: 'Output binding that calls an HTTP endpoint; the operation is the method (create = POST).',
    metadata: httpBindingMetadata,
    create: () => new HttpBinding(),
  });
  registry.register({
    type: 'bindings.localstorage',
    block: 'bindings',
    versions: ['v1'],
    description: 'Output binding over files in one folder: create, get, list, delete; names never leave rootPath.',
    metadata: localStorageMetadata,
    create: () => new LocalStorageBinding(),
  });
}
