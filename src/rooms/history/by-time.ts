/**
 * The room's messages in one sequence, from each origin's in offset order. Pure.
 */
import type { Entry } from "./store";

/**
 * One sequence from each origin's (in offset order): the earliest head first, so the
 * room reads in time order while each origin's own order is kept whatever its clock did.
 */
export function byTime(perOrigin: readonly (readonly Entry[])[]): Entry[] {
  const heads = perOrigin.map(() => 0);
  const merged: Entry[] = [];
  for (;;) {
    let pick = -1;
    perOrigin.forEach((entries, at) => {
      const head = entries[heads[at] ?? 0];
      const best = pick < 0 ? undefined : perOrigin[pick]?.[heads[pick] ?? 0];
      if (head !== undefined && (best === undefined || head.time < best.time)) pick = at;
    });
    const entry = pick < 0 ? undefined : perOrigin[pick]?.[heads[pick] ?? 0];
    if (entry === undefined) return merged;
    merged.push(entry);
    heads[pick] = (heads[pick] ?? 0) + 1;
  }
}
