import { metadataValue } from '@outrigger/components-api';

/**
 * Dapr's topic scoping metadata on pub/sub components: `allowedTopics` ("a,b") limits every app;
 * `publishingScopes` / `subscriptionScopes` ("app1=a,b;app2=c") limit one app each. An app listed
 * with no topics may use none; an app not listed is limited only by `allowedTopics`.
 */
export function topicAllowed(kind: 'publish' | 'subscribe', appId: string, topic: string, metadata: Readonly<Record<string, string>>): boolean {
  const allowed = list(metadataValue(metadata, 'allowedTopics'));
  if (allowed && !allowed.includes(topic)) return false;
  const scopes = metadataValue(metadata, kind === 'publish' ? 'publishingScopes' : 'subscriptionScopes');
  if (!scopes) return true;
  for (const entry of scopes.split(';')) {
    const [app, topics] = entry.split('=');
    if (app?.trim() === appId) return (list(topics) ?? []).includes(topic);
  }
  return true;
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}
