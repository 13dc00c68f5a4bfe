/**
 * `raceWithHedge`: one attempt of a call, hedged ("The Tail at Scale", Dean & Barroso 2013). When
 * the attempt has not settled after `delayMs`, the same call is sent once more elsewhere and the
 * first to decide is the call's outcome. The other is not cancelled: it runs to its own end in the
 * background (so the endpoint's health bookkeeping sees its answer or its timeout), and its outcome
 * is dropped — a handler is attached to both from the start, so neither can become an unhandled
 * rejection.
 */

export interface RaceWithHedgeParameters<T> {
  /** The attempt, already sent. */
  first: Promise<T>;
  /** How long `first` may stay unsettled before the hedge is sent, ms. */
  delayMs: number;
  /**
   * Sends the hedge (called at most once, `delayMs` after the start, only while `first` is still
   * out). Returns undefined when there is nowhere to send it: `first` alone decides.
   */
  hedge: () => Promise<T> | undefined;
  /**
   * Whether a rejection decides the call at once (the node's JSON-RPC error, the caller's abort).
   * Any other rejection (a transport failure) leaves the call to the other attempt while it is out;
   * when both failed, the call rejects with the later failure.
   */
  decides: (error: unknown) => boolean;
  /** Called once when a hedge was sent and the call is decided: `won` when the hedge decided it. */
  onHedgeSettled?: ((won: boolean) => void) | undefined;
}

/** Resolves or rejects with the first deciding outcome of `first` or its hedge. */
export function raceWithHedge<T>(params: RaceWithHedgeParameters<T>): Promise<T> {
  const { first, delayMs, hedge, decides, onHedgeSettled } = params;
  return new Promise<T>((resolve, reject) => {
    let decided = false;
    let hedged = false;
    /** Attempts not yet settled. */
    let out = 1;
    const decide = (byHedge: boolean, outcome: { value: T } | { error: unknown }) => {
      decided = true;
      clearTimeout(timer);
      if (hedged) onHedgeSettled?.(byHedge);
      if ('value' in outcome) resolve(outcome.value);
      else reject(outcome.error);
    };
    const follow = (attempt: Promise<T>, isHedge: boolean) => {
      attempt.then(
        (value) => {
          out--;
          if (!decided) decide(isHedge, { value });
        },
        (error: unknown) => {
          out--;
          if (decided) return; // the loser's late failure: already counted by the pool, dropped here
          if (decides(error)) decide(isHedge, { error });
          // A failure with nothing else out (no hedge sent yet, or the other failed first) ends the
          // race: the caller retries as it would have without hedging.
          else if (out === 0) decide(false, { error });
        },
      );
    };
    const timer = setTimeout(() => {
      if (decided) return;
      const second = hedge();
      if (second === undefined) return;
      hedged = true;
      out++;
      follow(second, true);
    }, delayMs);
    follow(first, false);
  });
}
