import type { RuleDefinition } from './types.ts';

/**
 * Cycles among composite rules, for the catalogue to refuse (422): a composite that needs itself,
 * directly or through other composites, can never unlock.
 *
 * `defs` maps achievement id → rule. Returns one cycle per group of composites that reach each
 * other (a strongly connected component), as a closed path of ids in reference order, starting and
 * ending at the group's smallest id: `['a', 'b', 'a']` means a references b and b references a
 * (`cycle.join(' → ')` reads well); `['a', 'a']` means a references itself. A group may hold further
 * cycles; the shortest one through its smallest id is shown, enough to explain the refusal.
 * References to ids absent from `defs` are ignored (checking them is separate).
 */
export function compositeCycles(defs: ReadonlyMap<string, RuleDefinition>): string[][] {
  const edges = new Map<string, string[]>();
  for (const [id, def] of defs) {
    if (def.type !== 'composite') continue;
    edges.set(
      id,
      def.achievements.filter((ref) => defs.get(ref)?.type === 'composite'),
    );
  }
  const cycles: string[][] = [];
  for (const group of stronglyConnected(edges)) {
    const start = [...group].sort()[0]!;
    const selfLoop = edges.get(start)!.includes(start);
    if (group.size === 1 && !selfLoop) continue;
    cycles.push(selfLoop ? [start, start] : [...shortestCycle(start, group, edges), start]);
  }
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** Tarjan's algorithm, iterative so a long chain of composites cannot overflow the stack. */
function stronglyConnected(edges: ReadonlyMap<string, string[]>): Set<string>[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const groups: Set<string>[] = [];
  let next = 0;
  for (const root of edges.keys()) {
    if (index.has(root)) continue;
    const work: { node: string; edge: number }[] = [{ node: root, edge: 0 }];
    index.set(root, next);
    low.set(root, next++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const targets = edges.get(frame.node)!;
      if (frame.edge < targets.length) {
        const target = targets[frame.edge++]!;
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, edge: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const group = new Set<string>();
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          group.add(member);
        } while (member !== frame.node);
        groups.push(group);
      }
    }
  }
  return groups;
}

/** The shortest path from `start` back to itself inside `group` (breadth-first). */
function shortestCycle(
  start: string,
  group: ReadonlySet<string>,
  edges: ReadonlyMap<string, string[]>,
): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const target of edges.get(node)!) {
      if (target === start) {
        const path = [node];
        while (path[path.length - 1] !== start) path.push(cameFrom.get(path[path.length - 1]!)!);
        return path.reverse();
      }
      if (group.has(target) && !cameFrom.has(target)) {
        cameFrom.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start];
}
