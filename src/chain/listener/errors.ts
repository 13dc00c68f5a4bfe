/**
 * Errors of the listener, replay and reconciliation. Each code is stable; its HTTP status (for the
 * table in src/api/errors.ts) is given per class. Split by what to do: retryable ones clear up by
 * themselves (the listener tries again on its next poll), the others need an operator.
 */
import { BaseError, ConflictError, UnavailableError, ValidationError } from '../../platform/errors.ts';

/** Stable codes of the chain listener (listed in docs/errors.md once added to ERROR_CODES). */
export const LISTENER_ERROR_CODES = {
  /** A reorg replaced every block the listener still holds a hash for. Not retryable: replay. */
  reorgTooDeep: 'CHAIN_REORG_TOO_DEEP',
  /** Another writer (a second listener, a replay, a reconcile --fix) moved the checkpoint. Retryable. */
  checkpointMoved: 'CHAIN_CHECKPOINT_MOVED',
  /** Even a one-block eth_getLogs range is refused as too large. Retryable (another endpoint may serve). */
  logsTooLarge: 'CHAIN_LOGS_TOO_LARGE',
  /** The node's answers do not fit together (a block moved between two calls). Retryable. */
  chainMoved: 'CHAIN_INCONSISTENT_ANSWER',
  /** `cb chain replay` was given a range the listener has not made final. 400. */
  replayRange: 'CHAIN_REPLAY_RANGE_INVALID',
} as const;

/** `CHAIN_REORG_TOO_DEEP`: no stored block hash is on the canonical chain any more. */
export class ReorgTooDeepError extends BaseError {
  override name = 'ReorgTooDeepError';
  constructor(checkpoint: bigint, oldestChecked: bigint | undefined) {
    super(
      'CHAIN_REORG_TOO_DEEP',
      `chain reorganisation deeper than the stored block hashes: block ${checkpoint} and every stored block down to ${
        oldestChecked ?? checkpoint
      } changed; run \`cb chain replay --from-block <a block before the fork>\``,
      {
        details: { checkpoint: checkpoint.toString(), oldestChecked: oldestChecked?.toString() },
        retryable: false,
      },
    );
  }
}

/** `CHAIN_CHECKPOINT_MOVED`: the checkpoint is not where this writer read it; it starts over. */
export class CheckpointMovedError extends ConflictError {
  override name = 'CheckpointMovedError';
  constructor(expected: bigint | undefined, found: bigint | undefined) {
    super(
      'CHAIN_CHECKPOINT_MOVED',
      `the listener checkpoint moved (expected ${expected ?? 'none'}, found ${found ?? 'none'}): another writer is applying blocks`,
      { details: { expected: expected?.toString(), found: found?.toString() }, retryable: true },
    );
  }
}

/** `CHAIN_LOGS_TOO_LARGE`: one block's logs are more than the endpoint will return. */
export class LogsTooLargeError extends UnavailableError {
  override name = 'LogsTooLargeError';
  constructor(block: bigint, cause: unknown) {
    super('CHAIN_LOGS_TOO_LARGE', `eth_getLogs of block ${block} alone is refused as too large`, {
      cause,
      details: { block: block.toString() },
    });
  }
}

/** `CHAIN_INCONSISTENT_ANSWER`: e.g. a log whose block hash is not the header's; try again. */
export class ChainMovedError extends UnavailableError {
  override name = 'ChainMovedError';
  constructor(message: string) {
    super('CHAIN_INCONSISTENT_ANSWER', message);
  }
}

/** `CHAIN_REPLAY_RANGE_INVALID` (400). */
export class ReplayRangeError extends ValidationError {
  override name = 'ReplayRangeError';
  constructor(message: string) {
    super(message, [{ path: 'range', message }], 'CHAIN_REPLAY_RANGE_INVALID');
  }
}
