// Pure status helpers: deep equality of JSON values and the minimal JSON merge patch (RFC 7386) that
// turns one status into another. Conditions are src/api/conditions.ts's (setCondition, findCondition).

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Structural equality of JSON values; keys whose value is undefined count as absent. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/**
 * The merge patch that turns `current` into `desired`, or undefined when they are equal. Objects are
 * diffed key by key (removed keys become null); arrays and scalars are replaced whole, as RFC 7386 does.
 */
export function mergePatch(current: unknown, desired: unknown): unknown {
  if (deepEqual(current, desired)) return undefined;
  if (!isPlainObject(current) || !isPlainObject(desired)) return desired === undefined ? null : desired;
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    if (v === undefined) continue;
    const sub = mergePatch(current[k], v);
    if (sub !== undefined) patch[k] = sub;
  }
  for (const [k, v] of Object.entries(current)) {
    if (v !== undefined && desired[k] === undefined) patch[k] = null;
  }
  return Object.keys(patch).length > 0 ? patch : undefined;
}
