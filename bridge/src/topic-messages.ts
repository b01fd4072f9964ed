/**
 * Grouping records by topic for kafkajs' `producer.sendBatch({ topicMessages })`: one send for
 * records of several topics. Used by the outbox relay, the simulator, the bench's producer and
 * the soak. Pure.
 */

/** The messages of one topic, as `sendBatch`'s `topicMessages` entries are. */
export type TopicMessages<M> = { topic: string; messages: M[] };

/**
 * Groups `items` by `topicOf`, each turned into its message by `messageOf`: topics in the order
 * they first appear, messages in the items' order within each topic (Kafka keeps that order per
 * partition).
 */
export function groupByTopic<T, M>(
  items: Iterable<T>,
  topicOf: (item: T) => string,
  messageOf: (item: T) => M,
): TopicMessages<M>[] {
  const byTopic = new Map<string, M[]>();
  for (const item of items) {
    const topic = topicOf(item);
    const messages = byTopic.get(topic);
    if (messages) messages.push(messageOf(item));
    else byTopic.set(topic, [messageOf(item)]);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
