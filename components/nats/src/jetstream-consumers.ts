import { AckPolicy, DeliverPolicy, type ConsumerConfig, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { errorMessage } from '@outrigger/kit';
import type { JetStreamSettings } from './jetstream-settings.js';

/*
 * Consumers: Outrigger pulls (daprd binds push consumers). A durable consumer is named `durableName`;
 * when that name is already taken on the stream by a consumer of another subject (daprd names one
 * consumer per component, so a second topic cannot reuse it), the topic's consumer is
 * `<durableName>-<topic>` with the characters consumer names cannot hold replaced by `_`.
 */

/** Characters NATS consumer names may not contain. */
const INVALID_NAME = /[\s.*>/\\]/g;

/** The stream whose subjects capture `topic`, or the configured one. @throws Error naming the topic when none does. */
export async function streamFor(jsm: JetStreamManager, settings: JetStreamSettings, topic: string): Promise<string> {
  if (settings.streamName) return settings.streamName;
  try {
    return await jsm.streams.find(topic);
  } catch (error) {
    throw new Error(`no JetStream stream captures subject ${topic} (${errorMessage(error)}); create one or set streamName`, { cause: error });
  }
}

/** The consumer configuration daprd would make for `topic`, without a name. */
export function consumerConfig(settings: JetStreamSettings, topic: string): Partial<ConsumerConfig> {
  const config: Partial<ConsumerConfig> = {
    filter_subject: topic,
    ack_policy: settings.ackPolicy === 'all' ? AckPolicy.All : settings.ackPolicy === 'none' ? AckPolicy.None : AckPolicy.Explicit,
    deliver_policy: {
      all: DeliverPolicy.All, last: DeliverPolicy.Last, new: DeliverPolicy.New, sequence: DeliverPolicy.StartSequence, time: DeliverPolicy.StartTime,
    }[settings.deliverPolicy],
  };
  if (settings.startSequence !== undefined) config.opt_start_seq = settings.startSequence;
  if (settings.startTimeMs !== undefined) config.opt_start_time = new Date(settings.startTimeMs).toISOString();
  if (settings.ackWaitMs !== undefined) config.ack_wait = nanos(settings.ackWaitMs);
  if (settings.maxDeliver !== undefined) config.max_deliver = settings.maxDeliver;
  if (settings.backOffMs.length > 0) config.backoff = settings.backOffMs.map((ms) => nanos(ms));
  if (settings.maxAckPending !== undefined) config.max_ack_pending = settings.maxAckPending;
  if (settings.replicas !== undefined) config.num_replicas = settings.replicas;
  if (settings.memoryStorage) config.mem_storage = true;
  return config;
}

/**
 * Makes sure the subscription's consumer exists and returns its name. Durable: reuses the named
 * consumer when it reads the same subject, else the per-topic name. Ephemeral: a new consumer that
 * the server removes once nobody pulls from it for a while; `resumeAfter` starts it after the last
 * stream sequence already handed out, so re-creating it after an outage does not replay the stream.
 * @throws Error when the stream is missing, or the named consumer is a push consumer (e.g. made by daprd).
 */
export async function ensureConsumer(jsm: JetStreamManager, stream: string, settings: JetStreamSettings, topic: string, resumeAfter?: number): Promise<string> {
  const config = consumerConfig(settings, topic);
  if (!settings.durableName) {
    const start = resumeAfter === undefined ? {} : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: resumeAfter + 1, opt_start_time: undefined };
    const info = await jsm.consumers.add(stream, { ...config, ...start, inactive_threshold: nanos(5 * 60_000) });
    return info.name;
  }
  for (const name of [settings.durableName, `${settings.durableName}-${topic.replace(INVALID_NAME, '_')}`]) {
    const existing = await consumerInfo(jsm, stream, name);
    if (existing && existing.config.filter_subject !== topic) continue;
    if (existing?.config.deliver_subject) {
      throw new Error(`consumer ${name} on stream ${stream} is a push consumer (daprd makes those); Outrigger pulls: delete it or choose another durableName`);
    }
    if (existing) return name;
    try {
      await jsm.consumers.add(stream, { ...config, durable_name: name });
      return name;
    } catch (error) {
      // Another sidecar may have made it a moment ago: use it if it reads this subject.
      const raced = await consumerInfo(jsm, stream, name);
      if (raced?.config.filter_subject === topic) return name;
      if (raced) continue;
      throw error;
    }
  }
  throw new Error(`durable consumers ${settings.durableName} and its per-topic name on stream ${stream} both read other subjects than ${topic}`);
}

async function consumerInfo(jsm: JetStreamManager, stream: string, name: string): Promise<ConsumerInfo | undefined> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (error) {
    if (/consumer not found|10014/i.test(errorMessage(error))) return undefined;
    throw error;
  }
}
