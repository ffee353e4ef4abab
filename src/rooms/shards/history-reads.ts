/**
 * Where a catch-up on one object reads the room's history: the origins from the
 * directory, each origin's messages from its own object (this one's read locally), and
 * a message too large for a call's answer fetched alone, as a stream, when its turn comes.
 */

import { parseHistoryRead } from "../history/read";
import type { HistoryQuery, HistoryRead, HistorySources } from "../history/sources";
import { isIntegerIn } from "../validate";
import { MAX_SHARD_INDEX, type RoomStub } from "./names";

/**
 * @param self this object's shard index
 * @param local this object's own history
 * @param stub the object of shard `index`
 * @param origins the directory's answer (unchecked when it came by a call)
 */
export function historyReads(
  self: number,
  local: (query: HistoryQuery) => HistoryRead,
  stub: (index: number) => RoomStub,
  origins: () => unknown,
): HistorySources {
  return {
    origins: async () => {
      const answer = await origins();
      if (!Array.isArray(answer) || !answer.every((index) => isIntegerIn(index, 0, MAX_SHARD_INDEX)))
        throw new TypeError("the directory's origins are not shard indexes");
      return answer;
    },
    read: async (origin, query) => {
      if (origin === self) return local(query);
      const object = stub(origin);
      const read = parseHistoryRead(await object.historyRead(query), origin, (epoch, offset) =>
        object.historyBody(epoch, offset),
      );
      if (read === null) throw new TypeError(`shard ${origin}'s history is not a history read`);
      return read;
    },
  };
}
