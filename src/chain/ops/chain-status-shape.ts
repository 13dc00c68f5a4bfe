/**
 * The JSON shapes of the chain plane's operator reads (`GET /v1/ops/chain`,
 * `GET /v1/ops/mints/failed`), free of server imports: chain-ops-routes.ts declares its answers with
 * them and the console's Chain page reads them (web/tsconfig.json includes this file), so the two
 * cannot drift apart. Block numbers are decimal strings (they may pass 2^53 on some chains).
 */
import type { RpcEndpointHealth } from '../rpc/endpoint-health.ts';

export interface ChainStatusShape {
  /** The chain and contract the database's chain tables describe; null before the first start. */
  identity: { chainId: number; badgeAddress: string; dev: boolean; recordedAt: string | null } | null;
  /** The listener's cursor per contract: applied (ownership) and finalized (posted to the intake). */
  checkpoints: {
    contract: string;
    appliedBlock: string;
    appliedHash: string | null;
    finalizedBlock: string | null;
    updatedAt: string | null;
  }[];
  mints: {
    pending: number;
    submitted: number;
    /** Creation time of the oldest request still pending or submitted. */
    oldestOpenAt: string | null;
    /** Dead-lettered requests (GET /v1/ops/mints/failed lists them). */
    failed: number;
    lastFailedAt: string | null;
  };
  /** The minter's transactions sent and not yet confirmed or failed. */
  transactions: { open: number; oldestSubmittedAt: string | null; replacements: number };
  /** The latest chain reconciliation of the badge contract (scheduled or `cb reconcile chain`); null before one. */
  reconciliation: ReconcileRunShape | null;
  /** What this instance runs; null where it does not run that part. */
  instance: {
    listener: {
      running: boolean;
      headBlock: string | null;
      processedBlock: string | null;
      finalizedBlock: string | null;
      lagBlocks: number | null;
      chunkBlocks: number;
      lastError: string | null;
    } | null;
    minter: {
      account: string;
      /** Holds the sender lease (the active minter of its key). */
      active: boolean;
      nextNonce: number | null;
      waitingForFees: boolean;
      lastTickAt: string | null;
      lastError: string | null;
      /** The account's balance in wei (decimal) as last sampled (every 30 s), and when; null before. */
      balanceWei: string | null;
      balanceAt: string | null;
    } | null;
    /** The RPC pool's endpoints (never a URL); null with the embedded dev chain or no chain. */
    rpc: RpcEndpointHealth[] | null;
  };
}

/** One chain reconciliation as recorded (chain_reconcile_runs). */
export interface ReconcileRunShape {
  id: string;
  /** `schedule` (the job chain.reconcile) or `cli` (`cb reconcile chain`). */
  trigger: 'schedule' | 'cli';
  /** It repaired what it found. */
  fix: boolean;
  startedAt: string;
  finishedAt: string;
  /** The block compared at; null when the run failed before it compared. */
  block: string | null;
  checkedTokens: number | null;
  /** Differences found, by kind (missing, unexpected, wrong_owner, wrong_achievement, history, outbox). */
  differences: Record<string, number>;
  /** Differences left: all found, or those a fix could not repair; null when it failed. */
  differencesLeft: number | null;
  /** Repairs made by a fix. */
  changes: number | null;
  /** Why it failed. */
  error: string | null;
}

export interface FailedMintShape {
  id: string;
  /** The holder the badge is for (lower case). */
  user: string;
  achievementId: string;
  /** Why it was dead-lettered. */
  error: string | null;
  attempts: number;
  /** The last transaction it was in, if any. */
  txHash: string | null;
  createdAt: string;
  failedAt: string;
}

export interface FailedMintPageShape {
  items: FailedMintShape[];
  total: number;
  limit: number;
  offset: number;
}
