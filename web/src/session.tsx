/**
 * The member's session and the console's settings, for every page: `GET /v1/web/config` and
 * `GET /v1/auth/session` at start; `signIn()` runs Sign-In with Ethereum with a wallet (loaded on
 * demand) and `signOut()` ends the session. The wallet stays in memory for signing ballots; after
 * a reload `wallet()` reconnects it (the dev account chosen is remembered for this tab).
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { Hex } from 'viem';
import { api } from './api.ts';
import { rumFeature, rumSignedIn, setRumFlushInterval } from './rum.ts';
import type { Wallet } from './wallet.ts';

export interface DevAccount {
  label: string;
  address: Hex;
  privateKey: Hex;
}

export interface WebConfig {
  devMode: boolean;
  chainId: number | null;
  devAccounts: DevAccount[];
  siweStatement: string;
  /** CB_EXPLORER_URL: addresses, transactions and blocks link there; null: no links. */
  explorerUrl: string | null;
  rum: { endpoint: string; flushIntervalMs: number; goals: string[] };
}

export interface MemberSession {
  address: Hex;
  chainId: number;
  expiresAt: string;
}

export type WalletChoice = { kind: 'injected' } | { kind: 'dev'; account: DevAccount };

interface SessionContextValue {
  config: WebConfig | undefined;
  configError: unknown;
  /** undefined while loading, null when signed out. */
  session: MemberSession | null | undefined;
  signIn(choice: WalletChoice): Promise<MemberSession>;
  signOut(): Promise<void>;
  /** The wallet of the signed-in member, reconnected when needed. */
  wallet(): Promise<Wallet>;
}

const SessionContext = createContext<SessionContextValue | null>(null);
const DEV_ACCOUNT_KEY = 'cb.devAccount';

export function SessionProvider({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<WebConfig>();
  const [configError, setConfigError] = useState<unknown>();
  const [session, setSession] = useState<MemberSession | null>();
  const [wallet, setWallet] = useState<Wallet>();

  useEffect(() => {
    api<WebConfig>('/v1/web/config', { check: (b) => typeof (b as WebConfig).devMode === 'boolean' })
      .then((c) => {
        setConfig(c);
        setRumFlushInterval(c.rum.flushIntervalMs);
      })
      .catch(setConfigError);
    api<{ session: MemberSession | null }>('/v1/auth/session', { check: (b) => 'session' in (b as object) })
      .then((s) => setSession(s.session))
      .catch(() => setSession(null));
  }, []);

  const connect = useCallback(
    async (choice: WalletChoice): Promise<Wallet> => {
      const w = await import('./wallet.ts');
      if (choice.kind === 'dev') {
        sessionStorage.setItem(DEV_ACCOUNT_KEY, choice.account.address);
        return w.devWallet(choice.account.privateKey);
      }
      sessionStorage.removeItem(DEV_ACCOUNT_KEY);
      return w.injectedWallet(config?.chainId ?? null);
    },
    [config],
  );

  const signIn = useCallback(
    async (choice: WalletChoice) => {
      const connected = await connect(choice);
      const { siweMessage } = await import('./wallet.ts');
      const { nonce } = await api<{ nonce: string }>('/v1/auth/nonce');
      const message = siweMessage({
        address: connected.address,
        // The platform's chain; a server that names none takes the wallet's.
        chainId: config?.chainId ?? (await connected.chainId()) ?? 1,
        nonce,
        statement: config?.siweStatement ?? 'Sign in to the cb community console.',
      });
      const signature = await connected.signMessage(message);
      const signedIn = await api<MemberSession>('/v1/auth/siwe', {
        method: 'POST',
        body: { message, signature },
      });
      setWallet(connected);
      setSession(signedIn);
      rumFeature(choice.kind === 'dev' ? 'sign_in_dev' : 'sign_in_injected');
      rumSignedIn();
      return signedIn;
    },
    [config, connect],
  );

  const signOut = useCallback(async () => {
    await api('/v1/auth/logout', { method: 'POST' });
    rumFeature('sign_out');
    sessionStorage.removeItem(DEV_ACCOUNT_KEY);
    setWallet(undefined);
    setSession(null);
  }, []);

  const currentWallet = useCallback(async () => {
    if (!session) throw new Error('sign in first');
    if (wallet && wallet.address.toLowerCase() === session.address.toLowerCase()) return wallet;
    const saved = sessionStorage.getItem(DEV_ACCOUNT_KEY);
    const dev = config?.devAccounts.find((a) => a.address === saved);
    const connected = await connect(dev ? { kind: 'dev', account: dev } : { kind: 'injected' });
    if (connected.address.toLowerCase() !== session.address.toLowerCase())
      throw new Error(`the wallet holds ${connected.address}, but you are signed in as ${session.address}`);
    setWallet(connected);
    return connected;
  }, [session, wallet, config, connect]);

  const value = useMemo(
    () => ({ config, configError, session, signIn, signOut, wallet: currentWallet }),
    [config, configError, session, signIn, signOut, currentWallet],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The block explorer to link to (null: none configured, the config not loaded yet, or no provider). */
export function useExplorerUrl(): string | null {
  return useContext(SessionContext)?.config?.explorerUrl ?? null;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
