/**
 * Records a signed delegation (EIP-712 `Delegation`, signed by the delegator). A delegatee of
 * 0x000…0 revokes. It takes effect from the block after the latest indexed block at the time it
 * is recorded, so no existing snapshot ever changes; the previous delegation ends there. One
 * delegation per delegator at a time, of all of its own badge power; one hop only.
 *
 * The nonce must exceed the delegator's previous one; sending the same signed message again is a
 * no-op that answers as the first time did.
 */
import type { Address, Hex } from 'viem';
import { memberAddress, uint, ZERO_ADDRESS } from './address.ts';
import type { GovernanceContext } from './context.ts';
import { domainProblem, governanceDomain, type StatedDomain, typedPayload } from './eip712.ts';
import { badRequest, conflict, ruleViolation, SignatureError } from './errors.ts';

export interface DelegationInput {
  delegator: unknown;
  delegatee: unknown;
  nonce: unknown;
  expiry: unknown;
  signature: unknown;
  domain?: StatedDomain | undefined;
}

export interface DelegationRecord {
  delegator: string;
  /** null for a revocation. */
  delegatee: string | null;
  nonce: string;
  recordedBlock: string;
  effectiveFromBlock: string;
  signerKind: 'eoa' | 'erc1271';
  /** True when this exact message had been recorded before (nothing changed). */
  replayed: boolean;
}

interface MessageRow {
  delegatee: string;
  signature: string;
  signer_kind: 'eoa' | 'erc1271';
  recorded_block: string;
}

export async function recordDelegation(
  ctx: GovernanceContext,
  input: DelegationInput,
): Promise<DelegationRecord> {
  const delegator = memberAddress(input.delegator, 'delegator');
  const delegatee = memberAddress(input.delegatee, 'delegatee');
  const nonce = uint(input.nonce, 'nonce');
  const expiry = uint(input.expiry, 'expiry');
  if (typeof input.signature !== 'string')
    throw badRequest('GOV_REQUEST_INVALID', 'signature is required', [
      { path: 'signature', message: 'a 0x hex string' },
    ]);
  const signature = input.signature.toLowerCase();
  if (delegator === delegatee)
    throw ruleViolation(
      'GOV_SELF_DELEGATION',
      'a member cannot delegate to itself; delegate to 0x000…0 to revoke',
    );
  const problem = domainProblem(input.domain, governanceDomain(ctx.chainId));
  if (problem) throw new SignatureError('GOV_DOMAIN_MISMATCH', problem);

  const record = (row: MessageRow, replayed: boolean): DelegationRecord => ({
    delegator,
    delegatee: row.delegatee === ZERO_ADDRESS ? null : row.delegatee,
    nonce: nonce.toString(),
    recordedBlock: row.recorded_block,
    effectiveFromBlock: (BigInt(row.recorded_block) + 1n).toString(),
    signerKind: row.signer_kind,
    replayed,
  });
  const existing = await ctx.db.query<MessageRow>(
    `select delegatee, signature, signer_kind, recorded_block::text as recorded_block
       from gov_delegation_messages where delegator = $1 and nonce = $2`,
    [delegator, nonce.toString()],
  );
  if (existing.rows[0]) {
    if (existing.rows[0].signature === signature && existing.rows[0].delegatee === delegatee)
      return record(existing.rows[0], true);
    throw conflict('GOV_NONCE_USED', `nonce ${nonce} of ${delegator} was used by another delegation`);
  }
  if (BigInt(Math.floor(ctx.now().getTime() / 1000)) > expiry)
    throw new SignatureError('GOV_SIGNATURE_EXPIRED', `the delegation expired at ${expiry} (unix seconds)`);

  const signerKind = await ctx.signatures.verify(
    typedPayload(ctx.chainId, 'Delegation', {
      delegator: delegator as Address,
      delegatee: delegatee as Address,
      nonce,
      expiry,
    }),
    delegator,
    signature as Hex,
  );

  const recordedBlock = await ctx.blocks.latestIndexed();
  const effective = recordedBlock + 1n;
  const row = await ctx.db.transaction(async (tx) => {
    // One delegator's changes take turns: nonces stay ordered and one delegation stays open.
    await tx.query('select pg_advisory_xact_lock(hashtext($1))', [`gov-delegation:${delegator}`]);
    const last = await tx.query<{ nonce: string | null }>(
      'select max(nonce)::text as nonce from gov_delegation_messages where delegator = $1',
      [delegator],
    );
    const previous = last.rows[0]?.nonce;
    if (previous !== null && previous !== undefined && BigInt(previous) >= nonce)
      throw conflict('GOV_NONCE_STALE', `nonce must be greater than ${previous}, the delegator's last one`, {
        lastNonce: previous,
      });
    await tx.query(
      `insert into gov_delegation_messages (delegator, nonce, delegatee, expiry, signature, signer_kind, recorded_block)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [
        delegator,
        nonce.toString(),
        delegatee,
        expiry.toString(),
        signature,
        signerKind,
        recordedBlock.toString(),
      ],
    );
    // An interval that had not started yet (recorded in the same block) is replaced, not kept empty.
    await tx.query(
      'delete from gov_delegations where delegator = $1 and to_block is null and from_block >= $2',
      [delegator, effective.toString()],
    );
    await tx.query('update gov_delegations set to_block = $2 where delegator = $1 and to_block is null', [
      delegator,
      effective.toString(),
    ]);
    if (delegatee !== ZERO_ADDRESS) {
      await tx.query(
        'insert into gov_delegations (delegator, delegatee, from_block, nonce) values ($1, $2, $3, $4)',
        [delegator, delegatee, effective.toString(), nonce.toString()],
      );
    }
    return { delegatee, signature, signer_kind: signerKind, recorded_block: recordedBlock.toString() };
  });
  await ctx.power.invalidateAll();
  ctx.logger.info(delegatee === ZERO_ADDRESS ? 'delegation revoked' : 'delegation recorded', {
    userId: delegator,
    context: {
      delegator,
      delegatee,
      nonce: nonce.toString(),
      effectiveFromBlock: effective.toString(),
      signerKind,
    },
  });
  return record(row, false);
}
