/**
 * Backups and recovery drills (GET /v1/ops/backups; seed 5.3): the newest backup's age against the
 * RPO, each backup with its last restore check, PostgreSQL's WAL archive (the incremental backups,
 * point-in-time recovery) with its problems, and the latest drills against the RTO. Taking,
 * checking and restoring backups stay on the command line (`cb backup …`): they need the database's
 * tools and, for a restore, cb stopped.
 */
import {
  type BackupsView,
  formatDuration as duration,
  type WalArchiveView,
} from '../../../../src/ops/backup/backups-shape.ts';
import { useApi } from '../../hooks.ts';
import { type PageProps, usePageTitle } from '../../page.ts';
import { formatDate, formatNumber, Loaded, Pill } from '../../ui.tsx';
import { OperatorGate } from './OperatorGate.tsx';

const isBackups = (b: unknown) =>
  Array.isArray((b as BackupsView).backups) && Array.isArray((b as BackupsView).drills);

const mib = (bytes: number) => `${formatNumber(bytes / 1_048_576)} MiB`;

export default function Backups(_props: PageProps) {
  usePageTitle('Backups');
  return (
    <OperatorGate title="Backups">
      <BackupsBody />
    </OperatorGate>
  );
}

function BackupsBody() {
  const state = useApi<BackupsView>('/v1/ops/backups', { operator: true, check: isBackups, pollMs: 30_000 });
  return (
    <section>
      <h1>Backups</h1>
      <Loaded state={state} what="backups">
        {(d) => (
          <>
            <p data-testid="backup-status">
              {d.newestAgeSeconds === null ? (
                <Pill tone="bad">no backup</Pill>
              ) : (
                <Pill tone={d.rpoMet ? 'ok' : 'bad'}>
                  newest {duration(d.newestAgeSeconds)} old, RPO {duration(d.rpoSeconds)}
                </Pill>
              )}{' '}
              {d.drills[0] ? (
                <Pill tone={d.drills[0].ok ? 'ok' : 'bad'}>
                  last drill {d.drills[0].ok ? 'passed' : 'FAILED'}: recovery{' '}
                  {duration(d.drills[0].recoverySeconds)}, RTO {duration(d.rtoSeconds)}
                </Pill>
              ) : (
                <Pill tone="warn">no drill yet</Pill>
              )}
            </p>
            {d.newestAgeSeconds === null ? (
              <p className="muted">
                Take one with <code>cb backup create</code> (daily, from cron or a timer) and check it with{' '}
                <code>cb backup verify</code>.
              </p>
            ) : null}
            {d.backups.length > 0 ? (
              <div className="table-wrap">
                <table data-testid="backups">
                  <caption className="sr-only">Backups, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Backup</th>
                      <th scope="col">Finished</th>
                      <th scope="col" className="num">
                        Size
                      </th>
                      <th scope="col" className="num">
                        Rows
                      </th>
                      <th scope="col">Migration</th>
                      <th scope="col">At rest</th>
                      <th scope="col">Last check</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.backups.map((b) => (
                      <tr key={b.id}>
                        <th scope="row">
                          <code>{b.id}</code>
                        </th>
                        <td>{formatDate(b.finishedAt)}</td>
                        <td className="num">{mib(b.bytes)}</td>
                        <td className="num">{formatNumber(b.rows, 0)}</td>
                        <td>{b.migration ?? '–'}</td>
                        <td>
                          {b.encrypted ? (
                            <span title="AES-256-GCM; restores need the key with this id (CB_BACKUP_ENCRYPTION_KEY_FILE)">
                              encrypted, key <code>{b.keyId}</code>
                            </span>
                          ) : (
                            <Pill tone="muted">not encrypted</Pill>
                          )}
                        </td>
                        <td>
                          {b.lastCheck === null ? (
                            <Pill tone="muted">never checked</Pill>
                          ) : b.lastCheck.ok ? (
                            <Pill tone="ok">restores ({formatDate(b.lastCheck.at)})</Pill>
                          ) : (
                            <span title={b.lastCheck.problems.join('\n')}>
                              <Pill tone="bad">FAILED ({formatDate(b.lastCheck.at)})</Pill>
                            </span>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
            <WalArchive wal={d.wal} error={d.walError} />
            <h2>Recovery drills</h2>
            {d.drills.length === 0 ? (
              <p className="muted">
                None yet. Run <code>cb backup drill</code> every quarter: it restores the newest backup into a
                scratch database, checks it and times the recovery.
              </p>
            ) : (
              <div className="table-wrap">
                <table data-testid="drills">
                  <caption className="sr-only">Recovery drills, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Result</th>
                      <th scope="col" className="num">
                        Recovery
                      </th>
                      <th scope="col">Backup</th>
                      <th scope="col">Why it failed</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.drills.map((r) => (
                      <tr key={r.id}>
                        <th scope="row">{formatDate(r.at)}</th>
                        <td>
                          <Pill tone={r.ok ? 'ok' : 'bad'}>{r.ok ? 'passed' : 'FAILED'}</Pill>
                        </td>
                        <td className="num">{duration(r.recoverySeconds)}</td>
                        <td>
                          <code>{r.backupId}</code>
                        </td>
                        <td>
                          {r.failure ??
                            (!r.rtoMet
                              ? 'slower than the RTO'
                              : !r.rpoMet
                                ? 'backup older than the RPO'
                                : '–')}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {d.unreadable.length > 0 ? (
              <p className="muted">Unreadable manifests: {d.unreadable.join('; ')}</p>
            ) : null}
          </>
        )}
      </Loaded>
    </section>
  );
}

/** PostgreSQL's WAL archive: the state in a pill, the segments, and each problem in a sentence. */
function WalArchive({ wal, error }: { wal: WalArchiveView | null; error: string | null }) {
  return (
    <div data-testid="wal-archive">
      <h2>Continuous archive (WAL)</h2>
      {error !== null ? (
        <p>
          <Pill tone="bad">unreadable</Pill> {error}
        </p>
      ) : wal === null ? (
        <p className="muted">
          The embedded database has no WAL archive: an hourly full backup (<code>CB_BACKUP_SCHEDULE</code>)
          gives it an hour of RPO. On PostgreSQL, archive its WAL with an archive tool such as pgBackRest for
          point-in-time recovery.
        </p>
      ) : (
        <>
          <p>
            {!wal.archiving ? (
              <Pill tone="warn">not archiving</Pill>
            ) : wal.failing ? (
              <Pill tone="bad">archiving FAILS</Pill>
            ) : (
              <Pill tone={wal.ok ? 'ok' : 'warn'}>
                archived through {wal.ageSeconds === null ? 'unknown' : `${duration(wal.ageSeconds)} ago`},
                max {duration(wal.maxAgeSeconds)}
              </Pill>
            )}
          </p>
          {wal.archiving ? (
            <dl className="facts">
              <dt>Last archived</dt>
              <dd>
                {wal.lastArchivedAt === null ? (
                  'none'
                ) : (
                  <>
                    <code>{wal.lastArchivedWal}</code> {formatDate(wal.lastArchivedAt)}
                  </>
                )}{' '}
                ({formatNumber(wal.archivedCount, 0)} segments)
              </dd>
              <dt>Last failed</dt>
              <dd>
                {wal.lastFailedAt === null ? (
                  'none'
                ) : (
                  <>
                    <code>{wal.lastFailedWal}</code> {formatDate(wal.lastFailedAt)}
                  </>
                )}{' '}
                ({formatNumber(wal.failedCount, 0)} attempts)
              </dd>
              <dt>archive_timeout</dt>
              <dd>{wal.timeoutSeconds === 0 ? 'off' : duration(wal.timeoutSeconds)}</dd>
            </dl>
          ) : null}
          {wal.problems.length > 0 ? (
            <ul data-testid="wal-problems">
              {wal.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          ) : null}
        </>
      )}
    </div>
  );
}
