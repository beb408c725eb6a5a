import { randomInt } from 'node:crypto';

// Short, friendly words so a generated id reads well in logs and `outrigger list`, as dapr's sillynames do.
const adjectives = [
  'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'crisp', 'daring', 'eager', 'fancy', 'gentle',
  'glad', 'golden', 'happy', 'hidden', 'jolly', 'keen', 'kind', 'lively', 'lucky', 'mellow', 'merry', 'misty',
  'nimble', 'noble', 'plucky', 'proud', 'quick', 'quiet', 'rapid', 'rosy', 'rustic', 'shiny', 'silent', 'silver',
  'sleepy', 'snowy', 'steady', 'sunny', 'swift', 'tidy', 'upbeat', 'vivid', 'warm', 'wild', 'witty', 'zesty',
];
const nouns = [
  'albatross', 'anchor', 'badger', 'beacon', 'breeze', 'canoe', 'comet', 'coral', 'dolphin', 'falcon', 'ferry',
  'gull', 'harbor', 'heron', 'island', 'kayak', 'kelp', 'lagoon', 'lantern', 'lighthouse', 'marlin', 'mast',
  'narwhal', 'oar', 'orca', 'otter', 'paddle', 'pelican', 'puffin', 'raft', 'reef', 'sail', 'seal', 'shell',
  'skiff', 'squid', 'starfish', 'tide', 'turtle', 'walrus', 'wave', 'whale',
];

function pick(words: readonly string[]): string {
  return words[randomInt(words.length)] ?? 'app';
}

/** A random lower-case `adjective-noun` id not among `taken`; a number is appended if the words run out. */
export function randomAppId(taken: ReadonlySet<string> = new Set()): string {
  for (let attempt = 0; attempt < 50; attempt++) {
    const id = `${pick(adjectives)}-${pick(nouns)}`;
    if (!taken.has(id)) return id;
  }
  for (;;) {
    const id = `${pick(adjectives)}-${pick(nouns)}-${randomInt(1000, 10000)}`;
    if (!taken.has(id)) return id;
  }
}
