/**
 * Whether arrays and objects in `value` nest at most `max` levels; iterative, so any depth is safe to
 * check. For untrusted JSON about to be walked recursively (a request body, an imported snapshot file).
 */
export function nestsWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return true;
}
