import { describe, expect, test, vi } from 'vitest';
import { MAX_RETRIES, type RetryQuestion, retryDelayMs } from './retry-policy.ts';

const shed: RetryQuestion = {
  method: 'GET',
  status: 503,
  code: 'CB_OVERLOADED',
  retryAfter: '1',
  retries: 0,
  remainingMs: 10_000,
  random: 0,
};

describe('retryDelayMs', () => {
  test('default: a shed GET is asked again after Retry-After, plus up to half of it at random', () => {
    expect(retryDelayMs(shed)).toBe(1000);
    expect(retryDelayMs({ ...shed, random: 0.999 })).toBe(1500);
    expect(retryDelayMs({ ...shed, code: 'CB_NOT_READY', retryAfter: '2' })).toBe(2000);
    expect(retryDelayMs({ ...shed, code: 'CB_SHUTTING_DOWN' })).toBe(1000);
    // Retry-After: 0 still waits a little, so a retry never hammers an instance that just shed it.
    expect(retryDelayMs({ ...shed, retryAfter: '0' })).toBe(200);
  });

  test("behavior: at most MAX_RETRIES times, and never past the call's own time limit", () => {
    expect(retryDelayMs({ ...shed, retries: MAX_RETRIES - 1 })).toBe(1000);
    expect(retryDelayMs({ ...shed, retries: MAX_RETRIES })).toBeUndefined();
    expect(retryDelayMs({ ...shed, remainingMs: 1000 })).toBeUndefined();
    expect(retryDelayMs({ ...shed, remainingMs: 1001 })).toBe(1000);
  });

  test('error: writes, other statuses and codes, long or unreadable Retry-After are not retried', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
      expect(retryDelayMs({ ...shed, method })).toBeUndefined();
    expect(retryDelayMs({ ...shed, status: 500, code: 'CB_INTERNAL' })).toBeUndefined();
    expect(retryDelayMs({ ...shed, status: 429, code: 'CB_RATE_LIMITED' })).toBeUndefined();
    expect(retryDelayMs({ ...shed, code: 'CB_DB_UNAVAILABLE' })).toBeUndefined();
    expect(retryDelayMs({ ...shed, code: undefined })).toBeUndefined();
    expect(retryDelayMs({ ...shed, retryAfter: null })).toBeUndefined();
    expect(retryDelayMs({ ...shed, retryAfter: '6' })).toBeUndefined();
    expect(retryDelayMs({ ...shed, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' })).toBeUndefined();
  });
});

describe('api() with the policy', () => {
  const overloaded = () =>
    new Response(JSON.stringify({ error: { code: 'CB_OVERLOADED', message: 'over capacity' } }), {
      status: 503,
      headers: { 'content-type': 'application/json', 'retry-after': '0' },
    });
  const ok = () => new Response(JSON.stringify({ n: 1 }), { status: 200 });

  test('behavior: a shed read is asked again and the page gets the answer; a shed write is not', async () => {
    const { api, ApiError } = await import('./api.ts');
    const answers = [overloaded(), ok()];
    const fetch = vi.fn(async () => answers.shift()!);
    vi.stubGlobal('fetch', fetch);
    try {
      expect(await api<{ n: number }>('/v1/achievements')).toEqual({ n: 1 });
      expect(fetch).toHaveBeenCalledTimes(2);

      fetch.mockClear();
      fetch.mockImplementation(async () => overloaded());
      await expect(api('/v1/proposals', { method: 'POST', body: {} })).rejects.toMatchObject({
        status: 503,
        code: 'CB_OVERLOADED',
      });
      expect(fetch).toHaveBeenCalledTimes(1);

      fetch.mockClear();
      const error = await api('/v1/achievements').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiError);
      expect(error).toMatchObject({ code: 'CB_OVERLOADED', message: 'over capacity' });
      expect(fetch).toHaveBeenCalledTimes(1 + MAX_RETRIES);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
