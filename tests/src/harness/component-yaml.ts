/** Component YAML (one document, `---` first) with string metadata values, quoted. */
export function componentYaml(name: string, type: string, metadata: Record<string, string>): string {
  const fields = Object.entries(metadata).map(([key, value]) => `  - name: ${key}\n    value: ${JSON.stringify(value)}\n`).join('');
  return `---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${fields}`;
}
