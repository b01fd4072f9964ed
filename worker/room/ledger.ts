/**
 * What a room's WebSocket subscriber was sent and has not acknowledged (the slow-consumer
 * policy, docs/rooms.md). An `ack` counts only for seqs this socket was actually sent: an ack of
 * seq n releases the bytes of every frame up to n, and an ack above the highest seq sent is a
 * claim the room cannot believe — it releases nothing, so a socket that acks without reading is
 * still shed at the bound.
 */
export class SentLedger {
  /** [seq, bytes] in seq order: the bytes sent while `seq` was the highest seq sent (merged per seq). */
  private entries: [number, number][] = [];
  private head = 0;
  private total = 0;
  private highest: number;

  /** `start`: the socket's cursor when it connected (the client may ack it before anything newer). */
  constructor(start: number) {
    this.highest = start;
  }

  /** Records a message of `bytes`; `seq` is the last seq of an `events` frame (other messages belong to the highest seq sent). */
  sent(bytes: number, seq?: number): void {
    if (seq !== undefined && seq > this.highest) this.highest = seq;
    const last = this.entries.length > this.head ? this.entries[this.entries.length - 1]! : undefined;
    if (last && last[0] === this.highest) last[1] += bytes;
    else this.entries.push([this.highest, bytes]);
    this.total += bytes;
  }

  /** An `ack` of `seq`: releases everything sent up to it. False (nothing released) when `seq` was never sent. */
  ack(seq: number): boolean {
    if (!(seq <= this.highest)) return false;
    while (this.head < this.entries.length && this.entries[this.head]![0] <= seq) {
      this.total -= this.entries[this.head]![1];
      this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  /** Evidence that the client reads everything so far (its `ping`): nothing is outstanding. */
  clear(): void {
    this.entries = [];
    this.head = 0;
    this.total = 0;
  }

  /** Bytes sent and not acknowledged. */
  get unacked(): number {
    return this.total;
  }

  /** The highest seq this socket was sent (or its starting cursor). */
  get highestSent(): number {
    return this.highest;
  }
}
