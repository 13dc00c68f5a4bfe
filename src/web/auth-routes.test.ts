import { type Address, createPublicClient, createWalletClient, getAddress, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { createSiweMessage } from 'viem/siwe';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestApi, type TestApi } from '../api/test-context.ts';
import { type DevChain, startDevChain } from '../chain/dev-chain.ts';
import { freePort } from '../chain/rpc/test-support.ts';
import { compileTestContracts } from '../governance/test-contracts.ts';
import { createWalletVerifier } from '../platform/wallet-verifier.ts';
import { hardhatDevAccounts } from './dev-accounts.ts';
import { siweDomains } from './index.ts';
import { createWebTestApp, type WebTestApp } from './test-support.ts';

const [alice, mallory] = hardhatDevAccounts(2, 2).map((a) => privateKeyToAccount(a.privateKey));
const HOST = 'localhost:3000';

let t: TestApi;
let web: WebTestApp;
let clock = Date.now();

beforeAll(async () => {
  t = await createTestApi();
  web = await createWebTestApp(t, { now: () => clock });
});
afterAll(async () => {
  await web?.close();
  await t?.close();
});

async function nonce(app = web.app, host = HOST): Promise<string> {
  const res = await app.inject({ method: 'GET', url: '/v1/auth/nonce', headers: { host } });
  expect(res.statusCode).toBe(200);
  expect(res.headers['cache-control']).toBe('no-store');
  return res.json().nonce;
}

interface MessageArgs {
  nonce: string;
  domain?: string;
  uri?: string;
  chainId?: number;
  issuedAt?: Date;
  expirationTime?: Date;
  address?: `0x${string}`;
}

function message(args: MessageArgs): string {
  const domain = args.domain ?? HOST;
  return createSiweMessage({
    domain,
    uri: args.uri ?? `http://${domain}/`,
    address: args.address ?? alice!.address,
    chainId: args.chainId ?? 31337,
    nonce: args.nonce,
    version: '1',
    statement: 'Sign in to the cb community console.',
    issuedAt: args.issuedAt ?? new Date(clock),
    ...(args.expirationTime ? { expirationTime: args.expirationTime } : {}),
  });
}

async function signIn(
  text: string,
  options: { signer?: typeof alice | undefined; host?: string; app?: WebTestApp['app'] } = {},
) {
  const signature = await (options.signer ?? alice)!.signMessage({ message: text });
  return (options.app ?? web.app).inject({
    method: 'POST',
    url: '/v1/auth/siwe',
    headers: { host: options.host ?? HOST },
    payload: { message: text, signature },
  });
}

const cookieOf = (setCookie: string | string[] | undefined) =>
  String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';', 1)[0]!;

describe('SIWE sign-in', () => {
  test('default: nonce → signed message → httpOnly session cookie; session read back; logout ends it', async () => {
    const res = await signIn(message({ nonce: await nonce() }));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ address: alice!.address, chainId: 31337 });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(
      /^cb_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=86400$/,
    );
    const cookie = cookieOf(res.headers['set-cookie']);

    const session = await web.app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } });
    expect(session.json()).toMatchObject({ session: { address: alice!.address, chainId: 31337 } });

    const out = await web.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^cb_session=; .*Max-Age=0/);
    const after = await web.app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } });
    expect(after.json()).toEqual({ session: null });
  });

  test('error: a message for another domain, or with a URI elsewhere, is refused (WEB_SIWE_DOMAIN)', async () => {
    const other = await signIn(message({ nonce: await nonce(), domain: 'evil.example' }));
    expect(other.statusCode).toBe(401);
    expect(other.json().error).toMatchObject({ code: 'WEB_SIWE_DOMAIN' });
    expect(other.json().error.message).toContain('evil.example');

    const uri = await signIn(message({ nonce: await nonce(), uri: 'https://evil.example/login' }));
    expect(uri.json().error.code).toBe('WEB_SIWE_DOMAIN');

    // A public Host header without CB_PUBLIC_URL is never trusted.
    const publicHost = await signIn(message({ nonce: await nonce(), domain: 'console.example.org' }), {
      host: 'console.example.org',
    });
    expect(publicHost.json().error).toMatchObject({ code: 'WEB_SIWE_DOMAIN' });
    expect(publicHost.json().error.message).toContain('CB_PUBLIC_URL');
  });

  test('error: a nonce is single-use (WEB_SIWE_NONCE), and an unknown one is refused', async () => {
    const text = message({ nonce: await nonce() });
    expect((await signIn(text)).statusCode).toBe(200);
    const again = await signIn(text);
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('WEB_SIWE_NONCE');
    const unknown = await signIn(message({ nonce: 'abcdef0123456789abcdef0123456789' }));
    expect(unknown.json().error.code).toBe('WEB_SIWE_NONCE');
  });

  test('error: expired messages and nonces are refused', async () => {
    const expired = await signIn(message({ nonce: await nonce(), expirationTime: new Date(clock - 1000) }));
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('WEB_SIWE_EXPIRED');

    const old = await signIn(message({ nonce: await nonce(), issuedAt: new Date(clock - 11 * 60_000) }));
    expect(old.json().error.code).toBe('WEB_SIWE_EXPIRED');

    const future = await signIn(message({ nonce: await nonce(), issuedAt: new Date(clock + 5 * 60_000) }));
    expect(future.json().error.code).toBe('WEB_SIWE_NOT_YET_VALID');

    // The nonce outlives its 10 minutes: refused even with a freshly issued message.
    const n = await nonce();
    clock += 11 * 60_000;
    const late = await signIn(message({ nonce: n }));
    expect(late.json().error.code).toBe('WEB_SIWE_NONCE');
  });

  test('error: a signature by someone else, another chain, or a malformed message', async () => {
    const forged = await signIn(message({ nonce: await nonce() }), { signer: mallory });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error.code).toBe('WEB_SIWE_SIGNATURE');

    const chain = await signIn(message({ nonce: await nonce(), chainId: 1 }));
    expect(chain.json().error.code).toBe('WEB_SIWE_CHAIN');

    const garbage = await web.app.inject({
      method: 'POST',
      url: '/v1/auth/siwe',
      headers: { host: HOST },
      payload: { message: 'hello', signature: '0x00' },
    });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json().error.code).toBe('WEB_SIWE_MESSAGE_INVALID');

    const missing = await web.app.inject({
      method: 'POST',
      url: '/v1/auth/siwe',
      headers: { host: HOST },
      payload: { message: 'hello' },
    });
    expect(missing.json().error).toMatchObject({ code: 'CB_VALIDATION' });
  });

  test('behavior: the session ends with the message expirationTime, a forged cookie is nobody', async () => {
    const res = await signIn(message({ nonce: await nonce(), expirationTime: new Date(clock + 60_000) }));
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['set-cookie'])).toContain('Max-Age=60');
    const cookie = cookieOf(res.headers['set-cookie']);
    const read = () => web.app.inject({ method: 'GET', url: '/v1/auth/session', headers: { cookie } });
    expect((await read()).json().session).not.toBeNull();
    clock += 61_000;
    expect((await read()).json()).toEqual({ session: null });

    const [id] = cookie.split('.');
    const forged = await web.app.inject({
      method: 'GET',
      url: '/v1/auth/session',
      headers: { cookie: `${id}.${'A'.repeat(43)}` },
    });
    expect(forged.json()).toEqual({ session: null });
  });

  test('behavior: with an https CB_PUBLIC_URL the domain is its host and the cookie is __Host- and Secure', async () => {
    const secure = await createWebTestApp(t, {
      now: () => clock,
      web: { publicUrl: 'https://console.example.org' },
    });
    try {
      const host = 'console.example.org';
      const text = message({ nonce: await nonce(secure.app, host), domain: host, uri: `https://${host}/` });
      const res = await signIn(text, { host, app: secure.app });
      expect(res.statusCode).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/^__Host-cb_session=.*; Secure$/);
      // localhost is no longer accepted once a public URL is set.
      const local = await signIn(message({ nonce: await nonce(secure.app) }), { app: secure.app });
      expect(local.json().error.code).toBe('WEB_SIWE_DOMAIN');
    } finally {
      await secure.close();
    }
  });

  test('args: siweDomains trusts loopback hosts only without a public URL', () => {
    expect(siweDomains(undefined, 'localhost:5173')).toEqual(['localhost:5173']);
    expect(siweDomains(undefined, '127.0.0.1:3000')).toEqual(['127.0.0.1:3000']);
    expect(siweDomains(undefined, 'cb.example.org')).toEqual([]);
    expect(siweDomains('https://cb.example.org:8443/x', 'localhost')).toEqual(['cb.example.org:8443']);
  });
});

describe('GET /v1/web/config', () => {
  test('default: dev mode exposes the dev wallet accounts and the chain id', async () => {
    const res = await web.app.inject({ method: 'GET', url: '/v1/web/config' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      devMode: true,
      chainId: 31337,
      explorerUrl: null,
      rum: { endpoint: '/v1/rum' },
    });
    expect(body.devAccounts[0]).toMatchObject({ address: alice!.address, label: 'Dev account #2' });
  });

  test('behavior: outside dev mode no key is ever sent; the explorer is passed on', async () => {
    const prod = await createWebTestApp(t, {
      web: { devMode: false, chainId: undefined, explorerUrl: 'https://sepolia.etherscan.io' },
    });
    try {
      const body = (await prod.app.inject({ method: 'GET', url: '/v1/web/config' })).json();
      expect(body).toMatchObject({
        devMode: false,
        chainId: null,
        devAccounts: [],
        explorerUrl: 'https://sepolia.etherscan.io',
      });
    } finally {
      await prod.close();
    }
  });
});

describe('SIWE sign-in with a smart wallet (ERC-1271)', () => {
  let chain: DevChain;
  let wallet: Address;
  let withChain: WebTestApp;

  beforeAll(async () => {
    const { Erc1271Wallet } = compileTestContracts();
    chain = await startDevChain({ mode: 'in-process' });
    const client = createPublicClient({ chain: chain.chain, transport: chain.transport });
    const deployer = createWalletClient({
      account: privateKeyToAccount(chain.accounts[0]!.privateKey),
      chain: chain.chain,
      transport: chain.transport,
    });
    // A wallet whose owner (alice) signs for it.
    const hash = await deployer.deployContract({
      abi: Erc1271Wallet.abi,
      bytecode: Erc1271Wallet.bytecode,
      args: [alice!.address],
    });
    wallet = getAddress((await client.waitForTransactionReceipt({ hash })).contractAddress!);
    withChain = await createWebTestApp(t, {
      now: () => clock,
      web: { contractVerifier: createWalletVerifier(chain.transport, chain.chain) },
    });
  }, 60_000);
  afterAll(async () => {
    await withChain?.close();
    await chain?.stop();
  });

  const walletNonce = () => nonce(withChain.app);

  test("default: the wallet's owner signs for it; the session is the wallet's", async () => {
    const res = await signIn(message({ nonce: await walletNonce(), address: wallet }), {
      app: withChain.app,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ address: wallet, chainId: 31337 });
    const cookie = cookieOf(res.headers['set-cookie']);
    const session = await withChain.app.inject({
      method: 'GET',
      url: '/v1/auth/session',
      headers: { cookie },
    });
    expect(session.json()).toMatchObject({ session: { address: wallet } });
  });

  test('error: a signature the wallet does not accept is refused (WEB_SIWE_SIGNATURE), the nonce kept', async () => {
    const n = await walletNonce();
    const res = await signIn(message({ nonce: n, address: wallet }), { app: withChain.app, signer: mallory });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 'WEB_SIWE_SIGNATURE' });
    // Refused before the nonce was consumed: the owner can still use it.
    const owner = await signIn(message({ nonce: n, address: wallet }), { app: withChain.app });
    expect(owner.statusCode).toBe(200);
  });

  test('error: without a chain connection a wallet cannot sign in, and the refusal says why', async () => {
    const res = await signIn(message({ nonce: await nonce(), address: wallet }));
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ code: 'WEB_SIWE_SIGNATURE' });
    expect(res.json().error.message).toContain('smart-wallet signatures need a chain connection');
  });

  test('error: a chain that does not answer is 503 WEB_SIWE_VERIFIER_UNAVAILABLE; EOAs still sign in without it', async () => {
    // A node that is gone: its port refuses connections.
    const port = await freePort();
    const down = createWalletVerifier(http(`http://127.0.0.1:${port}/`, { retryCount: 0 }), chain.chain);
    const unreachable = await createWebTestApp(t, { now: () => clock, web: { contractVerifier: down } });
    try {
      const res = await signIn(message({ nonce: await nonce(unreachable.app), address: wallet }), {
        app: unreachable.app,
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'WEB_SIWE_VERIFIER_UNAVAILABLE' });
      const eoa = await signIn(message({ nonce: await nonce(unreachable.app) }), { app: unreachable.app });
      expect(eoa.statusCode).toBe(200);
      expect(eoa.json()).toMatchObject({ address: alice!.address });
    } finally {
      await unreachable.close();
    }
  });
});
