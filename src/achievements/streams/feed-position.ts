/**
 * A position in the member feed: (transaction id, sequence number) of the row that wrote a change
 * (see migrations/0011_achievement_feed.sql). Positions order the feed; the text form
 * `<xid>-<seq>` is the SSE event id a client sends back as Last-Event-ID.
 */
import { ValidationError } from '../../platform/errors.ts';

export interface FeedPosition {
  xid: bigint;
  seq: bigint;
}

/** Negative, zero or positive as `a` is before, at or after `b`. */
export function compareFeedPositions(a: FeedPosition, b: FeedPosition): number {
  if (a.xid !== b.xid) return a.xid < b.xid ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

export const laterFeedPosition = (a: FeedPosition, b: FeedPosition): FeedPosition =>
  compareFeedPositions(a, b) >= 0 ? a : b;

export const formatFeedPosition = (p: FeedPosition): string => `${p.xid}-${p.seq}`;

/** Parses a Last-Event-ID; ValidationError (400) when it is not one this API sent. */
export function parseFeedPosition(text: string): FeedPosition {
  const match = /^(\d{1,19})-(\d{1,19})$/.exec(text.trim());
  if (!match) {
    throw new ValidationError('invalid Last-Event-ID', [
      {
        path: 'Last-Event-ID',
        message: 'not an event id sent by this stream; reconnect without it (the stream then starts now)',
      },
    ]);
  }
  return { xid: BigInt(match[1]!), seq: BigInt(match[2]!) };
}
