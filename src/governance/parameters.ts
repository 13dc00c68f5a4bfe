/**
 * The governance parameters: the defaults every proposal starts from, the proposal threshold,
 * the timelock, and the badge weight multipliers. Each has a configured default (createGovernance
 * options, from the CB_GOVERNANCE_* settings); a row in `gov_parameters` overrides it. Rows are
 * written only by executing a `parameter_change` proposal ({@link setParameters}), and every
 * change is kept in `gov_parameter_changes`.
 *
 * On the wire (and in `gov_parameters.value`) durations are whole seconds, fractions and amounts
 * decimal strings with at most six decimals, multipliers maps of name → decimal string.
 */
import { SWITCH_SPELLINGS, switchValue } from '../platform/config.ts';
import type { Queryable } from '../platform/db/create-db.ts';
import { formatScaled, parseScaled, SCALE } from './amounts.ts';
import type { Issue } from './errors.ts';

export interface GovernanceParameters {
  /** Seconds from creation to the start of voting. */
  votingDelaySeconds: number;
  /** Seconds voting stays open. */
  votingPeriodSeconds: number;
  /** Share of the total power at the snapshot that must vote for or abstain, ppm. */
  quorumPpm: number;
  /** Share of for / (for + against) needed, ppm; reached at equality. */
  approvalThresholdPpm: number;
  /** Power (scaled) a member needs at the latest confirmed block to propose. */
  proposalThreshold: bigint;
  /** Seconds a succeeded proposal waits in the queue before it may execute. */
  timelockDelaySeconds: number;
  /** Seconds after the timelock during which execution may happen; later it expires. */
  executionGraceSeconds: number;
  /** Seconds after the end of voting during which ballots are still accepted. */
  lateBallotGraceSeconds: number;
  /** Whether a voter may replace their ballot while voting is open. */
  allowVoteChange: boolean;
  /** Weight multiplier (scaled) per achievement category; absent = 1. */
  categoryMultipliers: Readonly<Record<string, bigint>>;
  /** Weight multiplier (scaled) per tier (bronze, silver, gold); absent = 1. */
  tierMultipliers: Readonly<Record<string, bigint>>;
}

export type ParameterName = keyof GovernanceParameters;

/** Wire name of each parameter (what `parameter_change` actions and GET /v1/governance/parameters use). */
export const WIRE_NAMES = {
  votingDelaySeconds: 'votingDelaySeconds',
  votingPeriodSeconds: 'votingPeriodSeconds',
  quorumPpm: 'quorum',
  approvalThresholdPpm: 'approvalThreshold',
  proposalThreshold: 'proposalThreshold',
  timelockDelaySeconds: 'timelockDelaySeconds',
  executionGraceSeconds: 'executionGraceSeconds',
  lateBallotGraceSeconds: 'lateBallotGraceSeconds',
  allowVoteChange: 'allowVoteChange',
  categoryMultipliers: 'categoryMultipliers',
  tierMultipliers: 'tierMultipliers',
} as const satisfies Record<ParameterName, string>;

export type WireParameterName = (typeof WIRE_NAMES)[ParameterName];

const BY_WIRE = new Map<string, ParameterName>(
  Object.entries(WIRE_NAMES).map(([k, v]) => [v, k as ParameterName]),
);

/** The built-in defaults (OpenZeppelin-like, in wall-clock seconds). */
export const DEFAULT_PARAMETERS: GovernanceParameters = Object.freeze({
  votingDelaySeconds: 300,
  votingPeriodSeconds: 3 * 86_400,
  quorumPpm: 40_000,
  approvalThresholdPpm: 500_000,
  proposalThreshold: SCALE,
  timelockDelaySeconds: 86_400,
  executionGraceSeconds: 14 * 86_400,
  lateBallotGraceSeconds: 60,
  allowVoteChange: true,
  categoryMultipliers: Object.freeze({}),
  tierMultipliers: Object.freeze({}),
});

const DAY = 86_400;
const seconds = (min: number, max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
    ? { ok: true as const, value: v }
    : { ok: false as const, message: `a whole number of seconds from ${min} to ${max}` };

const fraction = (min: number) => (v: unknown) => {
  const scaled = parseScaled(v);
  if (scaled === undefined || scaled > SCALE || scaled < BigInt(min))
    return {
      ok: false as const,
      message: `a decimal from ${formatScaled(BigInt(min))} to 1 with at most 6 decimals, e.g. "0.04"`,
    };
  return { ok: true as const, value: Number(scaled) };
};

const multipliers = (names?: readonly string[]) => (v: unknown) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    return { ok: false as const, message: 'an object of name → decimal multiplier, e.g. {"gold": "2"}' };
  const out: Record<string, bigint> = {};
  for (const [k, raw] of Object.entries(v as Record<string, unknown>)) {
    if (names ? !names.includes(k) : !/^[a-z0-9][a-z0-9_-]{0,39}$/.test(k))
      return {
        ok: false as const,
        message: `"${k}" is not ${names ? `one of ${names.join(', ')}` : 'a category'}`,
      };
    const m = parseScaled(raw);
    if (m === undefined || m > 1000n * SCALE)
      return { ok: false as const, message: `multiplier of "${k}" must be a decimal from 0 to 1000` };
    out[k] = m;
  }
  return { ok: true as const, value: out };
};

type Parse<T> = (v: unknown) => { ok: true; value: T } | { ok: false; message: string };

const PARSERS: { [K in ParameterName]: Parse<GovernanceParameters[K]> } = {
  votingDelaySeconds: seconds(0, 30 * DAY),
  votingPeriodSeconds: seconds(1, 90 * DAY),
  quorumPpm: fraction(0),
  approvalThresholdPpm: fraction(1),
  proposalThreshold: (v) => {
    const scaled = parseScaled(v);
    return scaled === undefined
      ? { ok: false, message: 'a power: a decimal ≥ 0 with at most 6 decimals' }
      : { ok: true, value: scaled };
  },
  timelockDelaySeconds: seconds(0, 30 * DAY),
  executionGraceSeconds: seconds(1, 365 * DAY),
  lateBallotGraceSeconds: seconds(0, 3600),
  allowVoteChange: (v) =>
    typeof v === 'boolean' ? { ok: true, value: v } : { ok: false, message: 'true or false' },
  categoryMultipliers: multipliers(),
  tierMultipliers: multipliers(['bronze', 'silver', 'gold']),
};

const multipliersToWire = (m: Readonly<Record<string, bigint>>) =>
  Object.fromEntries(Object.entries(m).map(([k, v]) => [k, formatScaled(v)]));

/** A parameter value in its wire form. */
export function parameterToWire<K extends ParameterName>(name: K, value: GovernanceParameters[K]): unknown {
  switch (name) {
    case 'quorumPpm':
    case 'approvalThresholdPpm':
      return formatScaled(BigInt(value as number));
    case 'proposalThreshold':
      return formatScaled(value as bigint);
    case 'categoryMultipliers':
    case 'tierMultipliers':
      return multipliersToWire(value as Record<string, bigint>);
    default:
      return value;
  }
}

/** Every parameter in wire form, keyed by wire name. */
export function parametersToWire(p: GovernanceParameters): Record<WireParameterName, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(WIRE_NAMES) as ParameterName[])
    out[WIRE_NAMES[name]] = parameterToWire(name, p[name]);
  return out as Record<WireParameterName, unknown>;
}

/**
 * One parameter from its text form (an environment variable) to its wire form, checked: seconds
 * and decimals as written, `allowVoteChange` as 1/0, true/false, yes/no or on/off, multipliers as
 * `name=decimal,…`. Throws an Error saying what is expected.
 */
export function parameterFromText(wireName: WireParameterName, text: string): unknown {
  const name = BY_WIRE.get(wireName)!;
  let value: unknown = text.trim();
  if (name === 'allowVoteChange') {
    value = switchValue(text);
    if (value === undefined) throw new Error(`must be ${SWITCH_SPELLINGS}, got "${text}"`);
  } else if (name === 'categoryMultipliers' || name === 'tierMultipliers') {
    const entries: [string, string][] = [];
    for (const part of text.split(',')) {
      const [k, v, ...rest] = part.split('=').map((x) => x.trim());
      if (!k || v === undefined || rest.length > 0)
        throw new Error(
          `must be name=decimal pairs separated by commas (e.g. gold=3,silver=2), got "${text}"`,
        );
      entries.push([k, v]);
    }
    value = Object.fromEntries(entries);
  } else if (/Seconds$/.test(name)) {
    value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  }
  const parsed = parseParameter(wireName, value, wireName);
  if (!parsed.ok) throw new Error(parsed.issue.message);
  return value;
}

/** Parses one parameter given by wire name; an issue at `path` when the name or value is bad. */
export function parseParameter(
  wireName: unknown,
  value: unknown,
  path: string,
): { ok: true; name: ParameterName; value: unknown } | { ok: false; issue: Issue } {
  const name = typeof wireName === 'string' ? BY_WIRE.get(wireName) : undefined;
  if (!name)
    return {
      ok: false,
      issue: {
        path: `${path}.parameter`,
        message: `unknown parameter; one of ${[...BY_WIRE.keys()].join(', ')}`,
      },
    };
  const parsed = PARSERS[name](value);
  if (!parsed.ok) return { ok: false, issue: { path: `${path}.value`, message: parsed.message } };
  return { ok: true, name, value: parsed.value };
}

/**
 * Defaults given in wire form (from configuration) over the built-in ones; throws listing every
 * bad entry, so a bad setting stops the boot.
 */
export function resolveDefaults(
  overrides: Partial<Record<WireParameterName, unknown>> = {},
): GovernanceParameters {
  const out: Record<string, unknown> = { ...DEFAULT_PARAMETERS };
  const issues: Issue[] = [];
  for (const [wire, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const parsed = parseParameter(wire, value, wire);
    if (parsed.ok) out[parsed.name] = parsed.value;
    else issues.push(parsed.issue);
  }
  if (issues.length > 0)
    throw new Error(
      `governance defaults invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  return Object.freeze(out) as unknown as GovernanceParameters;
}

/** The parameters in force: `defaults` overlaid by the rows of `gov_parameters`. */
export async function readParameters(
  q: Queryable,
  defaults: GovernanceParameters,
): Promise<GovernanceParameters> {
  const { rows } = await q.query<{ name: string; value: unknown }>('select name, value from gov_parameters');
  const out: Record<string, unknown> = { ...defaults };
  for (const row of rows) {
    const parsed = parseParameter(row.name, row.value, row.name);
    // A row this version cannot read (written by a newer one) leaves the default in force.
    if (parsed.ok) out[parsed.name] = parsed.value;
  }
  return out as unknown as GovernanceParameters;
}

/**
 * Writes parameter changes (already validated with {@link parseParameter}) and their history, in
 * the caller's transaction. `changes` carry wire names and wire values.
 */
export async function setParameters(
  tx: Queryable,
  changes: readonly { parameter: string; value: unknown }[],
  options: { actor: string; proposalId?: string | undefined },
): Promise<void> {
  for (const change of changes) {
    const { rows } = await tx.query<{ value: unknown }>(
      'select value from gov_parameters where name = $1 for update',
      [change.parameter],
    );
    await tx.query(
      `insert into gov_parameters (name, value, updated_at, updated_by) values ($1, $2::jsonb, now(), $3)
       on conflict (name) do update set value = excluded.value, updated_at = now(), updated_by = excluded.updated_by`,
      [change.parameter, JSON.stringify(change.value), options.actor],
    );
    await tx.query(
      `insert into gov_parameter_changes (name, old_value, new_value, actor, proposal_id)
       values ($1, $2::jsonb, $3::jsonb, $4, $5)`,
      [
        change.parameter,
        rows[0] === undefined ? null : JSON.stringify(rows[0].value),
        JSON.stringify(change.value),
        options.actor,
        options.proposalId ?? null,
      ],
    );
  }
}
