/** Polls `check` until it holds; throws after `timeoutMs`. For tests that wait on something asynchronous. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
  stepMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
