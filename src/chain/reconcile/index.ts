/**
 * Chain reconciliation: the database's badge records against the chain, the chain being the truth
 * (see reconcile-chain.ts), the `cb reconcile chain` command, the scheduled job `chain.reconcile`
 * and the record of runs every process exports.
 */
export { registerReconcileChain } from './cli-reconcile-chain.ts';
export {
  type ChainDifference,
  type ReconcileChainOptions,
  type ReconcileChainReport,
  type ReconcileProgress,
  reconcileChain,
} from './reconcile-chain.ts';
export { chainReconcileJob, registerChainReconcileJob, runRecordedReconcile } from './reconcile-job.ts';
export {
  type ReconcileRun,
  readReconcileRuns,
  recordReconcileRun,
  sampleReconcileRuns,
  startReconcileSampler,
} from './reconcile-runs.ts';
