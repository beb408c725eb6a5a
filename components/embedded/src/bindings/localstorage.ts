import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, realpath, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  metadataValue, type BindingInvokeRequest, type BindingInvokeResponse, type ComponentContext, type MetadataField, type OutputBinding,
} from '@outrigger/components-api';
import { isInside, resolveInsideRoot, UnsafePathError } from './safe-path.js';

/** `bindings.localstorage` metadata, as Dapr documents it. */
export const localStorageMetadata: readonly MetadataField[] = [
  { name: 'rootPath', required: true, description: 'Folder the files live in; created when missing. File names are resolved below it and may never leave it' },
];

// Dapr refuses these roots: system folders and Kubernetes service-account secrets.
const disallowedRoots = ['/proc', '/sys', '/boot', '/var/run/secrets'];

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

/**
 * Output binding over files in one folder (`bindings.localstorage`). Operations `create`, `get`,
 * `list` and `delete`, with the per-request metadata `fileName`. Every file name is resolved below
 * `rootPath`; a name that would leave it is refused (see safe-path.ts).
 */
export class LocalStorageBinding implements OutputBinding {
  private root = '';

  async init(context: ComponentContext): Promise<void> {
    const rootPath = metadataValue(context.metadata, 'rootPath');
    if (!rootPath) throw new Error('property rootPath must not be empty');
    const wanted = resolve(rootPath);
    await mkdir(wanted, { recursive: true });
    const root = await realpath(wanted);
    if (!(await stat(root)).isDirectory()) throw new Error('property rootPath represents a file and not a directory');
    if (disallowedRoots.some((disallowed) => isInside(disallowed, root))) throw new Error('property rootPath points to a disallowed location');
    this.root = root;
  }

  async close(): Promise<void> {}

  operations(): readonly string[] {
    return ['create', 'get', 'list', 'delete'];
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const fileName = metadataValue(request.metadata, 'fileName') ?? '';
    switch (request.operation) {
      case 'create':
        return this.create(fileName === '' ? randomUUID() : fileName, request.data);
      case 'get':
        return { data: await readFile((await this.resolveFile(fileName)).absolute).catch(notFound(fileName)) };
      case 'list':
        return this.list(fileName);
      case 'delete':
        await unlink((await this.resolveFile(fileName)).absolute).catch(notFound(fileName));
        return undefined;
      default:
        throw new Error(`unsupported operation ${request.operation}`);
    }
  }

  private async create(fileName: string, data: Uint8Array): Promise<BindingInvokeResponse> {
    const target = await this.resolveFile(fileName);
    await mkdir(dirname(target.absolute), { recursive: true });
    // Re-check once the folders exist, then refuse a symlink as the last part while opening.
    await resolveInsideRoot(this.root, fileName);
    const file = await open(target.absolute, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o666);
    try {
      await file.writeFile(decodeContent(data));
    } finally {
      await file.close();
    }
    return { data: json({ fileName: target.relative }) };
  }

  /** Absolute paths of every file below the folder `fileName` (the root by default), as Dapr answers. */
  private async list(fileName: string): Promise<BindingInvokeResponse> {
    const folder = fileName === '' ? this.root : (await this.resolveFile(fileName)).absolute;
    if (!(await stat(folder).catch(notFound(fileName))).isDirectory()) throw new Error(`unable to list files as the file specified is not a directory: ${fileName}`);
    return { data: json(await walk(folder)) };
  }

  private async resolveFile(fileName: string) {
    if (fileName === '') throw new UnsafePathError(fileName, 'metadata fileName is required for this operation');
    const resolved = await resolveInsideRoot(this.root, fileName);
    if (resolved.relative === '') throw new UnsafePathError(fileName, 'it names rootPath itself');
    return resolved;
  }
}

/** Turns ENOENT into Dapr's "file not found" message, naming the file as the caller did, not its absolute path. */
function notFound(fileName: string): (error: unknown) => never {
  return (error) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`file not found: ${fileName}`);
    throw error;
  };
}

/**
 * The bytes to write, as Dapr's binding reads them: `data` arrives JSON-encoded, so a JSON string is
 * unquoted first; text that is valid padded base64 is then decoded (Dapr's documented way to send binary).
 */
export function decodeContent(data: Uint8Array): Uint8Array {
  const text = Buffer.from(data).toString('utf8');
  const unquoted = unquoteJsonString(text);
  const content = unquoted ?? text;
  if (isStrictBase64(content)) return Buffer.from(content.replace(/[\r\n]/g, ''), 'base64');
  return unquoted === undefined ? data : Buffer.from(unquoted, 'utf8');
}

function unquoteJsonString(text: string): string | undefined {
  if (!text.startsWith('"')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Go's base64.StdEncoding: padded quanta of the standard alphabet; line breaks are ignored. */
function isStrictBase64(text: string): boolean {
  const compact = text.replace(/[\r\n]/g, '');
  return /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact);
}

/** Files below `folder`, depth first in name order, without following symlinked folders (as Go's filepath.Walk). */
async function walk(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...await walk(path));
    else files.push(path);
  }
  return files;
}
