/** A proposal's tally: for / against / abstain as a stacked bar with numbers, and quorum progress. */
import type { Tally } from './governance.ts';
import { formatNumber, Pill, ProgressBar } from './ui.tsx';

export function TallyView({ tally, compact }: { tally: Tally; compact?: boolean }) {
  const f = Number(tally.for);
  const a = Number(tally.against);
  const ab = Number(tally.abstain);
  const total = f + a + ab;
  const pct = (v: number) => (total > 0 ? (v / total) * 100 : 0);
  const quorum = Number(tally.quorumRequired);
  return (
    <div className="tally">
      <div className="stack" role="img" aria-label={`For ${f}, against ${a}, abstain ${ab}`}>
        <span className="for" style={{ width: `${pct(f)}%` }} />
        <span className="against" style={{ width: `${pct(a)}%` }} />
        <span className="abstain" style={{ width: `${pct(ab)}%` }} />
      </div>
      <dl className="tally-numbers">
        <div>
          <dt>For</dt>
          <dd data-testid="tally-for">{formatNumber(f)}</dd>
        </div>
        <div>
          <dt>Against</dt>
          <dd data-testid="tally-against">{formatNumber(a)}</dd>
        </div>
        <div>
          <dt>Abstain</dt>
          <dd data-testid="tally-abstain">{formatNumber(ab)}</dd>
        </div>
        <div>
          <dt>Voters</dt>
          <dd data-testid="tally-voters">{tally.voters}</dd>
        </div>
      </dl>
      {compact ? null : (
        <>
          <p className="small">
            Quorum {formatNumber(f + ab)} of {formatNumber(quorum)} needed{' '}
            {tally.quorumReached ? <Pill tone="ok">reached</Pill> : <Pill tone="warn">not reached</Pill>}{' '}
            {tally.approved ? <Pill tone="ok">approved</Pill> : <Pill tone="muted">not approved</Pill>}
          </p>
          <ProgressBar
            value={Math.min(f + ab, quorum)}
            max={quorum || 1}
            label="Quorum progress"
            tone="quorum"
          />
        </>
      )}
    </div>
  );
}

export const STATE_TONE: Record<string, string> = {
  pending: 'info',
  active: 'active',
  succeeded: 'ok',
  queued: 'info',
  executed: 'ok',
  defeated: 'bad',
  canceled: 'muted',
  expired: 'muted',
};
