/**
 * The local broker `scripts/kafka.sh` runs: 127.0.0.1 on KAFKA_PORT (default 9092), so that two
 * checkouts on one machine can each run their own (KAFKA_PORT / KAFKA_CONTROLLER_PORT).
 */
export const LOCAL_BROKER = `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
