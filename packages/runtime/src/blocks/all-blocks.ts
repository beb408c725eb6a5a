import type { SidecarBlock, SidecarContext } from './sidecar-block.js';
import { stateBlock } from './state/state-block.js';
import { secretsBlock } from './secrets/secrets-block.js';
import { pubsubBlock } from './pubsub/pubsub-block.js';
import { bindingsBlock } from './bindings/bindings-block.js';
import { lockBlock } from './lock/lock-block.js';
import { configurationBlock } from './configuration/configuration-block.js';

/** Every building block of the sidecar, in start order; one line per block. */
export function createBlocks(context: SidecarContext): SidecarBlock[] {
  return [
    stateBlock(context),
    secretsBlock(context),
    pubsubBlock(context),
    bindingsBlock(context),
    lockBlock(context),
    configurationBlock(context),
  ];
}
