import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** A file name that would leave the root folder, or that cannot name a file safely. */
export class UnsafePathError extends Error {
  constructor(readonly fileName: string, reason: string) {
    super(`fileName ${JSON.stringify(fileName)} is refused: ${reason}`);
    this.name = 'UnsafePathError';
  }
}

/** A file name resolved inside the root: the absolute path and the path relative to the root. */
export interface ResolvedPath {
  readonly absolute: string;
  readonly relative: string;
}

/** Whether `path` is `root` itself or below it; both absolute and normalised. */
export function isInside(root: string, path: string): boolean {
  const rest = relative(root, path);
  return rest === '' || (rest !== '..' && !rest.startsWith(`..${sep}`) && !isAbsolute(rest));
}

/**
 * Resolves a caller's file name below `root` (an absolute path with symlinks already resolved), or
 * refuses it. Refused: absolute paths, names that resolve outside the root (`../x`, `a/../../x`),
 * the same written with backslashes or percent-encoding (`..%2Fx`, `%252e%252e%252f`: another layer
 * may decode them later), NUL bytes, and names whose existing part is a symlink leading out of the root.
 * Names that stay inside (`a/../b`) are allowed. Symlinks are checked at call time: a link swapped in
 * afterwards is the caller's to guard against (writes open with O_NOFOLLOW for the last part).
 * @throws UnsafePathError
 */
export async function resolveInsideRoot(root: string, fileName: string): Promise<ResolvedPath> {
  if (fileName.includes('\0')) throw new UnsafePathError(fileName, 'it contains a NUL byte');
  for (const variant of spellings(fileName)) {
    if (isAbsolute(variant) || /^[A-Za-z]:/.test(variant)) throw new UnsafePathError(fileName, 'it must be a path relative to rootPath');
    if (!isInside(root, resolve(root, variant))) throw new UnsafePathError(fileName, 'it resolves outside rootPath');
  }
  const absolute = resolve(root, fileName);
  if (!isInside(root, await realpathOfExisting(absolute))) throw new UnsafePathError(fileName, 'a symlink in it leads outside rootPath');
  return { absolute, relative: relative(root, absolute) };
}

/** The name as given, with backslashes as separators, and percent-decoded up to three times. */
function spellings(fileName: string): string[] {
  const variants = [fileName];
  let current = fileName;
  for (let round = 0; round < 3; round++) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      break;
    }
    if (decoded === current) break;
    variants.push(decoded);
    current = decoded;
  }
  return variants.flatMap((variant) => (variant.includes('\\') ? [variant, variant.replaceAll('\\', '/')] : [variant]));
}

/** The real path of `path`, or of its deepest existing ancestor with the missing rest appended. */
export async function realpathOfExisting(path: string): Promise<string> {
  let existing = path;
  for (;;) {
    try {
      return join(await realpath(existing), relative(existing, path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(existing);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === existing) throw error;
      existing = parent;
    }
  }
}
