const separator = '||';

/**
 * The stored key of a lock resource, as daprd builds it (`pkg/components/lock/lock_config.go`):
 * always under `lock||`, then the `keyPrefix` strategy's part. Note that `namespace`, a state
 * strategy, is not one here: Dapr uses it as a literal prefix.
 * @throws Error with daprd's message when the resource id contains `||`.
 */
export function lockStoredKey(resourceId: string, strategy: string, storeName: string, appId: string): string {
  if (resourceId.includes(separator)) throw new Error(`input key/keyPrefix '${resourceId}' can't contain '${separator}'`);
  const head = `lock${separator}`;
  switch (strategy) {
    case 'none':
      return `${head}${resourceId}`;
    case 'name':
      return `${head}${storeName}${separator}${resourceId}`;
    case 'appid':
      return appId === '' ? `${head}${resourceId}` : `${head}${appId}${separator}${resourceId}`;
    default:
      return `${head}${strategy}${separator}${resourceId}`;
  }
}
