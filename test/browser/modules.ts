/**
 * Governance and incidents for the console's browser tests and screenshots, mounted when those
 * modules are in the tree: governance over a fixed block source (indexed 100, confirmed 98) with
 * badges inserted as the chain listener would write them, and incidents fed through Alertmanager's
 * payload. Each part is undefined when its module is absent.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Hex } from 'viem';
import type { PrivateKeyAccount } from 'viem/accounts';
import type { RoutesPlugin } from '../../src/api/index.ts';
import { achievementTokenId } from '../../src/chain/contracts/achievement-token-id.ts';
import { type ExtraEnv, ROOT } from './harness.ts';

export const HAS_GOVERNANCE = existsSync(join(ROOT, 'src', 'governance', 'index.ts'));
export const HAS_INCIDENTS = existsSync(join(ROOT, 'src', 'ops', 'incidents', 'create-incidents.ts'));

export interface GovernanceKit {
  /** Gives `owner` a badge of `slug` from `block` on (as the listener records a mint). */
  mint(owner: string, slug: string, block?: bigint): Promise<void>;
  /** Creates an open signal proposal with an admin key; returns its id. */
  propose(url: string, adminKey: string, title: string, body: string): Promise<string>;
  /** Casts a signed ballot over HTTP as `account`. */
  vote(
    url: string,
    account: PrivateKeyAccount,
    proposalId: string,
    support: 'for' | 'against' | 'abstain',
  ): Promise<void>;
}

export interface IncidentsKit {
  /** Opens an incident through Alertmanager's payload; returns its id. */
  fire(dependency: string, alertname: string, severity: string, summary: string): Promise<string>;
}

export interface Modules {
  governance: GovernanceKit | undefined;
  incidents: IncidentsKit | undefined;
  routes: (env: ExtraEnv) => Promise<RoutesPlugin[]>;
}

let tokenSeq = 0n;

export function modules(): Modules {
  const out: Modules = {
    governance: undefined,
    incidents: undefined,
    routes: async (env) => {
      const routes: RoutesPlugin[] = [];
      if (HAS_GOVERNANCE) {
        const { createGovernance } = await import('../../src/governance/index.ts');
        const { createCache } = await import('../../src/platform/cache/index.ts');
        const cache = createCache({ common: env.ctx });
        const governance = createGovernance({
          common: env.ctx,
          db: env.t.db,
          cache,
          catalogue: () => env.processor.catalogue(),
          achievementKey: achievementTokenId,
          chainId: 31337,
          apiKeys: env.t.apiKeys,
          blocks: { latestIndexed: async () => 100n, latestConfirmed: async () => 98n },
          options: { defaults: { votingDelaySeconds: 0, votingPeriodSeconds: 3600 } },
        });
        env.onClose(async () => {
          await governance.close();
          await cache.close();
        });
        routes.push(governance.routes());
        out.governance = {
          async mint(owner, slug, block = 10n) {
            tokenSeq++;
            const tokenId = (BigInt(Date.now()) * 1000n + tokenSeq).toString();
            const tx = `0x${'ab'.repeat(32)}`;
            await env.t.db.query(
              'insert into badge_tokens (token_id, achievement_key, owner, minted_block, minted_tx) values ($1, $2, $3, $4, $5)',
              [tokenId, achievementTokenId(slug).toString(), owner.toLowerCase(), block.toString(), tx],
            );
            await env.t.db.query(
              'insert into badge_ownership (token_id, owner, from_block, tx_hash, log_index) values ($1, $2, $3, $4, 0)',
              [tokenId, owner.toLowerCase(), block.toString(), tx],
            );
            await governance.onOwnershipChanged([owner.toLowerCase()], block);
          },
          async propose(url, adminKey, title, body) {
            const res = await fetch(`${url}/v1/proposals`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
              body: JSON.stringify({ title, body, type: 'signal', actions: [], settings: {} }),
            });
            if (res.status !== 201) throw new Error(`proposal: ${res.status} ${await res.text()}`);
            return ((await res.json()) as { id: string }).id;
          },
          async vote(url, account, proposalId, support) {
            const g = (await (await fetch(`${url}/v1/governance`)).json()) as {
              domain: { name: string; version: string; chainId: number };
              types: Record<string, { name: string; type: string }[]>;
            };
            const nonce = BigInt(Date.now());
            const code = { against: 0, for: 1, abstain: 2 }[support];
            const signature: Hex = await account.signTypedData({
              domain: g.domain,
              types: g.types,
              primaryType: 'Ballot',
              message: {
                proposalId: BigInt(proposalId),
                voter: account.address,
                support: code,
                reason: '',
                nonce,
              },
            } as never);
            const res = await fetch(`${url}/v1/proposals/${proposalId}/votes`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                voter: account.address,
                support,
                reason: '',
                nonce: nonce.toString(),
                signature,
              }),
            });
            if (res.status !== 201) throw new Error(`vote: ${res.status} ${await res.text()}`);
          },
        };
      }
      if (HAS_INCIDENTS && env.jobs) {
        const { createIncidents } = await import('../../src/ops/incidents/create-incidents.ts');
        const incidents = createIncidents({
          common: env.ctx,
          db: env.t.db,
          jobs: env.jobs,
          options: { webhookToken: 'browser-test-webhook-token-0123' },
        });
        incidents.registerJobs();
        routes.push(incidents.routes);
        let n = 0;
        out.incidents = {
          async fire(dependency, alertname, severity, summary) {
            n++;
            const startsAt = new Date(Date.now() - 120_000).toISOString();
            const result = await incidents.receive({
              receiver: 'cb-incidents',
              status: 'firing',
              alerts: [
                {
                  status: 'firing',
                  labels: { alertname, dependency, severity, instance: '127.0.0.1:3000', job: 'cb' },
                  annotations: { summary, description: `${alertname}: the threshold was crossed for 1m.` },
                  startsAt,
                  endsAt: '0001-01-01T00:00:00Z',
                  generatorURL: 'http://127.0.0.1:9090/graph',
                  fingerprint: `fp${n}${Date.now().toString(16)}`,
                },
              ],
              groupLabels: { dependency },
              commonLabels: { dependency, instance: '127.0.0.1:3000', job: 'cb' },
              commonAnnotations: {},
              externalURL: 'http://127.0.0.1:9093',
              version: '4',
              groupKey: `{}/{severity=~"P[0-3]"}:{dependency="${dependency}"}`,
              truncatedAlerts: 0,
            } as never);
            return (result as { incidentId: string }).incidentId;
          },
        };
      }
      return routes;
    },
  };
  return out;
}
