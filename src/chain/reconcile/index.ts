/**
 * Chain reconciliation: the database's badge records against the chain, the chain being the truth
 * (see reconcile-chain.ts), and the `cb reconcile chain` command.
 */
export { registerReconcileChain } from './cli-reconcile-chain.ts';
export {
  type ChainDifference,
  type ReconcileChainOptions,
  type ReconcileChainReport,
  type ReconcileProgress,
  reconcileChain,
} from './reconcile-chain.ts';
