/**
 * Grants or revokes a badge role, signed by an admin key, with the checks an operator in an
 * incident should not have to make by hand — in this order, each before anything is sent:
 * 1. the signer holds DEFAULT_ADMIN_ROLE (else CHAIN_ROLES_SIGNER_NOT_ADMIN);
 * 2. the change changes something: granting to a holder or revoking from a non-holder returns
 *    `unchanged`, nothing sent;
 * 3. revoking DEFAULT_ADMIN_ROLE leaves another admin (else CHAIN_ROLES_LAST_ADMIN, unless `force`):
 *    a badge without an admin can never grant a minter again;
 * 4. the node simulates the call (a revert: CHAIN_ROLES_CHANGE_FAILED).
 * A dry run stops there with what would be sent. Otherwise the transaction is sent (fees: the
 * node's EIP-1559 suggestion) and its receipt awaited `confirmations` blocks deep (the listener's
 * and minter's depth, CB_CHAIN_CONFIRMATIONS). The caller checks the chain id first (the RPC pool).
 */
import {
  type Address,
  type Chain,
  createWalletClient,
  type Hash,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type Transport,
  WaitForTransactionReceiptTimeoutError,
} from 'viem';
import { achievementBadgeAbi } from '../abi/AchievementBadge.ts';
import { shortReason } from '../minter/index.ts';
import { BADGE_ROLES, type BadgeRole } from './badge-roles.ts';
import { ROLE_ERROR_CODES, RoleError } from './errors.ts';
import type { RoleHolder } from './list-role-holders.ts';
import { type RoleAction, roleChangeCalldata } from './role-change-calldata.ts';

export interface ChangeBadgeRoleParameters {
  client: PublicClient<Transport, Chain>;
  transport: Transport;
  chain: Chain;
  badgeAddress: Address;
  action: RoleAction;
  role: BadgeRole;
  account: Address;
  /** The admin's account (loadAdminKeyAccount). */
  signer: LocalAccount;
  /** Blocks on top of the receipt's block before it counts (CB_CHAIN_CONFIRMATIONS). */
  confirmations: number;
  /** The admins known now: asked only to revoke DEFAULT_ADMIN_ROLE (listRoleHolders). */
  admins: () => Promise<RoleHolder[]>;
  /** Revoke the last admin anyway. @defaultValue false */
  force?: boolean | undefined;
  /** Check and simulate only. @defaultValue false */
  dryRun?: boolean | undefined;
  /** Called once the transaction is sent, before its receipt is awaited. */
  onSent?: ((hash: Hash) => void) | undefined;
  /** Gives up waiting for the receipt after this many ms (the change may still be mined). @defaultValue 600000 */
  receiptTimeoutMs?: number | undefined;
}

export type ChangeBadgeRoleResult =
  | { outcome: 'unchanged'; reason: 'already holds' | 'does not hold' }
  | { outcome: 'dry-run'; from: Address; to: Address; data: Hex; gas: bigint }
  | { outcome: 'sent'; from: Address; txHash: Hash; blockNumber: bigint; gasUsed: bigint };

/** See the module comment. @throws RoleError */
export async function changeBadgeRole(params: ChangeBadgeRoleParameters): Promise<ChangeBadgeRoleResult> {
  const { client, badgeAddress, action, role, account, signer } = params;
  const hasRole = (r: BadgeRole, who: Address) =>
    client.readContract({
      address: badgeAddress,
      abi: achievementBadgeAbi,
      functionName: 'hasRole',
      args: [r.id, who],
    });

  if (!(await hasRole(BADGE_ROLES.admin, signer.address)))
    throw new RoleError(
      ROLE_ERROR_CODES.signerNotAdmin,
      `the key of --admin-key-file (account ${signer.address}) does not hold DEFAULT_ADMIN_ROLE on the badge ${badgeAddress}: nothing sent. Use an admin's key, or --calldata for an admin that signs elsewhere (a Safe)`,
      { details: { signer: signer.address, badgeAddress } },
    );

  const holds = await hasRole(role, account);
  if (action === 'grant' && holds) return { outcome: 'unchanged', reason: 'already holds' };
  if (action === 'revoke' && !holds) return { outcome: 'unchanged', reason: 'does not hold' };

  if (action === 'revoke' && role.name === 'admin' && params.force !== true) {
    const others = (await params.admins()).filter((h) => h.address !== account);
    if (others.length === 0)
      throw new RoleError(
        ROLE_ERROR_CODES.lastAdmin,
        `${account} is the last holder of DEFAULT_ADMIN_ROLE cb finds on the badge ${badgeAddress}: without an admin no role can ever be granted or revoked again. Grant another admin first, or pass --force`,
        { details: { account, badgeAddress } },
      );
  }

  const call = {
    account: signer,
    address: badgeAddress,
    abi: achievementBadgeAbi,
    functionName: action === 'grant' ? 'grantRole' : 'revokeRole',
    args: [role.id, account],
  } as const;
  let gas: bigint;
  try {
    await client.simulateContract(call);
    gas = await client.estimateContractGas(call);
  } catch (err) {
    throw new RoleError(
      ROLE_ERROR_CODES.changeFailed,
      `the node refuses ${call.functionName}(${role.label}, ${account}): ${shortReason(err)}; nothing sent`,
      { cause: err },
    );
  }
  if (params.dryRun === true) {
    const { to, data } = roleChangeCalldata(badgeAddress, action, role, account);
    return { outcome: 'dry-run', from: signer.address, to, data, gas };
  }

  const wallet = createWalletClient({ account: signer, chain: params.chain, transport: params.transport });
  const txHash = await wallet.writeContract({ ...call, chain: params.chain, gas });
  params.onSent?.(txHash);
  let receipt: Awaited<ReturnType<typeof client.waitForTransactionReceipt>>;
  try {
    receipt = await client.waitForTransactionReceipt({
      hash: txHash,
      // viem counts the receipt's own block; CB_CHAIN_CONFIRMATIONS counts the blocks on top of it.
      confirmations: params.confirmations + 1,
      timeout: params.receiptTimeoutMs ?? 600_000,
    });
  } catch (err) {
    if (!(err instanceof WaitForTransactionReceiptTimeoutError)) throw err;
    throw new RoleError(
      ROLE_ERROR_CODES.receiptTimeout,
      `sent ${txHash}, but no receipt ${params.confirmations} block(s) deep came in time: it may still be mined — check with cb chain roles before sending again`,
      { details: { txHash } },
    );
  }
  if (receipt.status !== 'success')
    throw new RoleError(
      ROLE_ERROR_CODES.changeFailed,
      `${call.functionName}(${role.label}, ${account}) reverted in block ${receipt.blockNumber} (transaction ${txHash})`,
      { details: { txHash, blockNumber: receipt.blockNumber.toString() } },
    );
  return {
    outcome: 'sent',
    from: signer.address,
    txHash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
  };
}
