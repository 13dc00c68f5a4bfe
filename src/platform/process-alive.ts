/**
 * `processAlive`: whether a process with this pid exists on this host. A signal-0 probe: EPERM
 * means it exists but belongs to another user.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
